// Depthwise Conv2D input gradient as depthwise/backward_input.wgsl, for c % 4 == 0: each
// invocation computes four consecutive channels of one input pixel, with vec4 loads and store.
// dx[b, iy, ix, ch] = sum over (oy, ky) with oy*s + ky - pad_top == iy (same for x) of
//                     dy[b, oy, ox, ch] * w[ky, kx, ch]
// The kernel's shape (KH, KW, C, STRIDE) is fixed per layer when its pipeline is created
// (override constants, gpu::Specialization), so the compiler unrolls the tap loops.
// Params: shaders/common/conv_params.wgsl (the batch and spatial sizes and the padding).
override KH: u32;
override KW: u32;
override C: u32;
override STRIDE: u32;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    let c4 = C / 4u;
    if (idx >= p.n * p.h * p.w * c4) { return; }
    let ch4 = idx % c4;
    var r = idx / c4;
    let ix = r % p.w;
    r = r / p.w;
    let iy = r % p.h;
    let b = r / p.h;
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
            acc += dy[((b * p.oh + oy) * p.ow + ox) * c4 + ch4] * wt[(ky * KW + kx) * c4 + ch4];
        }
    }
    dx[idx] = acc;
}
