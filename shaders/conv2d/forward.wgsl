// Conv2D forward, NHWC input; weights as conv2d/weights_ko.wgsl lays them out, [K, o4] vec4s
// (K = kh * kw * c taps, o4 = ceil(o / 4); the OHWI weight w[o, ky, kx, c] is at tap
// (ky * kw + kx) * c + c, lane o % 4 of vec4 o / 4).
// y[b, oy, ox, o] = bias[o] + sum_{ky, kx, c} x[b, oy*s - pad_top + ky, ox*s - pad_left + kx, c] * w[o, ky, kx, c]
// Taps that fall in the padding contribute nothing.
// One invocation per output pixel and block of 16 output channels (workgroup_id.z): per tap it
// loads one input value and four vec4s of weights for 16 multiply-adds, into four vec4
// accumulators. Vec4s past the last one read the last one and are not stored. Each output
// starts at its bias and adds its taps in (ky, kx, c) order, as the CPU twin does.
// Params: shaders/common/conv_params.wgsl.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wk: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>) {
    let pixel = gid.x + gid.y * nwg.x * WG;
    if (pixel >= p.n * p.oh * p.ow) { return; }
    let ox = pixel % p.ow;
    let r = pixel / p.ow;
    let oy = r % p.oh;
    let b = r / p.oh;
    let o4 = (p.o + 3u) / 4u;
    // The block's four vec4 columns, clamped to the last.
    let c0 = min(wid.z * 4u, o4 - 1u);
    let c1 = min(wid.z * 4u + 1u, o4 - 1u);
    let c2 = min(wid.z * 4u + 2u, o4 - 1u);
    let c3 = min(wid.z * 4u + 3u, o4 - 1u);
    let last = p.o - 1u;
    var a0 = vec4(bias[min(4u * c0, last)], bias[min(4u * c0 + 1u, last)], bias[min(4u * c0 + 2u, last)], bias[min(4u * c0 + 3u, last)]);
    var a1 = vec4(bias[min(4u * c1, last)], bias[min(4u * c1 + 1u, last)], bias[min(4u * c1 + 2u, last)], bias[min(4u * c1 + 3u, last)]);
    var a2 = vec4(bias[min(4u * c2, last)], bias[min(4u * c2 + 1u, last)], bias[min(4u * c2 + 2u, last)], bias[min(4u * c2 + 3u, last)]);
    var a3 = vec4(bias[min(4u * c3, last)], bias[min(4u * c3 + 1u, last)], bias[min(4u * c3 + 2u, last)], bias[min(4u * c3 + 3u, last)]);
    for (var ky = 0u; ky < p.kh; ky++) {
        let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
        if (iy < 0 || iy >= i32(p.h)) { continue; }
        for (var kx = 0u; kx < p.kw; kx++) {
            let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
            if (ix < 0 || ix >= i32(p.w)) { continue; }
            let xb = ((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c;
            let tap = (ky * p.kw + kx) * p.c;
            for (var ci = 0u; ci < p.c; ci++) {
                let xv = x[xb + ci];
                let row = (tap + ci) * o4;
                a0 += xv * wk[row + c0];
                a1 += xv * wk[row + c1];
                a2 += xv * wk[row + c2];
                a3 += xv * wk[row + c3];
            }
        }
    }
    let yb = pixel * p.o;
    let oc0 = wid.z * 16u;
    for (var e = 0u; e < 4u; e++) {
        if (oc0 + e < p.o) { y[yb + oc0 + e] = a0[e]; }
        if (oc0 + 4u + e < p.o) { y[yb + oc0 + 4u + e] = a1[e]; }
        if (oc0 + 8u + e < p.o) { y[yb + oc0 + 8u + e] = a2[e]; }
        if (oc0 + 12u + e < p.o) { y[yb + oc0 + 12u + e] = a3[e]; }
    }
}
