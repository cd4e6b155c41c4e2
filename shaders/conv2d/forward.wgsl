// Conv2D forward, NHWC input, OHWI weights.
// y[b, oy, ox, o] = bias[o] + sum_{ky, kx, c} x[b, oy*s - pad_top + ky, ox*s - pad_left + kx, c] * w[o, ky, kx, c]
// Taps that fall in the padding contribute nothing.
// One invocation per output pixel and block of 16 output channels (the block is workgroup_id.z,
// so weight loads are the same for every lane of a workgroup, and each input value is loaded
// once per block instead of once per channel). The block's loops have constant trip counts, so
// the 16 accumulators (four vec4) stay in registers; channels past `o` read a clamped weight
// index and are not stored. Each output starts at its bias and adds its taps in (ky, kx, c) order.
// Params: shaders/common/conv_params.wgsl.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const BLOCK: u32 = 16u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>) {
    let pixel = gid.x + gid.y * nwg.x * WG;
    let oc0 = wid.z * BLOCK;
    if (pixel >= p.n * p.oh * p.ow) { return; }
    let ox = pixel % p.ow;
    let r = pixel / p.ow;
    let oy = r % p.oh;
    let b = r / p.oh;
    let taps = p.kh * p.kw * p.c;
    // Weight row of each channel of the block (clamped to the last channel past `o`).
    var row: array<u32, 16>;
    var acc: array<f32, 16>;
    for (var j = 0u; j < BLOCK; j++) {
        let oc = min(oc0 + j, p.o - 1u);
        row[j] = oc * taps;
        acc[j] = bias[oc];
    }
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
                let k = tap + ci;
                for (var j = 0u; j < BLOCK; j++) {
                    acc[j] += xv * wt[row[j] + k];
                }
            }
        }
    }
    let yb = pixel * p.o;
    for (var j = 0u; j < BLOCK; j++) {
        if (oc0 + j < p.o) { y[yb + oc0 + j] = acc[j]; }
    }
}
