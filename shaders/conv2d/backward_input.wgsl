// Conv2D gradient with respect to the input:
// dx[b, iy, ix, c] = sum over (oy, ky) with oy*s + ky - pad_top == iy (same for x) and o of
//                    dy[b, oy, ox, o] * w[o, ky, kx, c]
// One invocation per input pixel and vec4 of input channels (C4 = ceil(C / 4) per pixel): per
// tap and output channel it loads one dy value and the vec4 of weights w[o, ky, kx, c..c+3]
// (OHWI keeps them together) for four multiply-adds; when O % 4 == 0 it loads dy four output
// channels at a time. The kernel's shape (KH, KW, C, O, STRIDE) is fixed per layer when its
// pipeline is created (override constants, gpu::Specialization), so the compiler unrolls the
// loops and, for stride 1, drops the divisions.
// Params: shaders/common/conv_params.wgsl (the batch and spatial sizes and the padding).
override KH: u32;
override KW: u32;
override C: u32;
override O: u32;
override STRIDE: u32;
override C4: u32 = (C + 3u) / 4u;

@group(0) @binding(0) var<uniform> p: Params;
// Whole vec4s (buffers are padded to them); where a shape is not a multiple of 4, one component
// at a time.
@group(0) @binding(1) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4<f32>>;

// Weights w[o, ky, kx, c0 .. c0 + 3] from flat index i (c0 = 4 * c4); channels past C read 0.
fn weights4(i: u32, c0: u32) -> vec4<f32> {
    if (C % 4u == 0u) { return wt[i / 4u]; }
    var v = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
        if (c0 + j < C) { v[j] = wt[(i + j) / 4u][(i + j) % 4u]; }
    }
    return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.n * p.h * p.w * C4) { return; }
    let c4 = idx % C4;
    let pixel = idx / C4;
    let ix = pixel % p.w;
    let r = pixel / p.w;
    let iy = r % p.h;
    let b = r / p.h;
    let c0 = 4u * c4;
    var acc = vec4(0.0);
    for (var ky = 0u; ky < KH; ky++) {
        let ty = i32(iy + p.pad_top) - i32(ky);
        // Stride 1 needs no integer division, which lavapipe does lane by lane.
        if (ty < 0 || (STRIDE != 1u && ty % i32(STRIDE) != 0)) { continue; }
        var oy = u32(ty);
        if (STRIDE != 1u) { oy = oy / STRIDE; }
        if (oy >= p.oh) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let tx = i32(ix + p.pad_left) - i32(kx);
            if (tx < 0 || (STRIDE != 1u && tx % i32(STRIDE) != 0)) { continue; }
            var ox = u32(tx);
            if (STRIDE != 1u) { ox = ox / STRIDE; }
            if (ox >= p.ow) { continue; }
            let db = ((b * p.oh + oy) * p.ow + ox) * O;
            let wb = (ky * KW + kx) * C + c0;
            if (O % 4u == 0u) {
                for (var o4 = 0u; o4 < O / 4u; o4++) {
                    let d = dy[db / 4u + o4];
                    let o = 4u * o4;
                    acc += d.x * weights4(o * KH * KW * C + wb, c0);
                    acc += d.y * weights4((o + 1u) * KH * KW * C + wb, c0);
                    acc += d.z * weights4((o + 2u) * KH * KW * C + wb, c0);
                    acc += d.w * weights4((o + 3u) * KH * KW * C + wb, c0);
                }
            } else {
                for (var o = 0u; o < O; o++) {
                    let d = dy[(db + o) / 4u][(db + o) % 4u];
                    acc += d * weights4(o * KH * KW * C + wb, c0);
                }
            }
        }
    }
    if (C % 4u == 0u) {
        dx[pixel * C4 + c4] = acc;
        return;
    }
    for (var j = 0u; j < 4u; j++) {
        if (c0 + j < C) {
            let i = pixel * C + c0 + j;
            dx[i / 4u][i % 4u] = acc[j];
        }
    }
}
