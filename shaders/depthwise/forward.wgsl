// Depthwise Conv2D forward (depth multiplier 1), NHWC input, weights [KH, KW, C] (TFLite's
// [1, KH, KW, C]), one invocation per output element:
// y[b, oy, ox, ch] = bias[ch] + sum_{ky, kx} x[b, oy*s - pad_top + ky, ox*s - pad_left + kx, ch] * w[ky, kx, ch]
// Uses the conv2d uniform with o == c.
// The kernel's shape (KH, KW, C, STRIDE) is fixed per layer when its pipeline is created
// (override constants, gpu::Specialization), so the compiler unrolls the tap loops.
// Params: shaders/common/conv_params.wgsl (the batch and spatial sizes and the padding).
override KH: u32;
override KW: u32;
override C: u32;
override STRIDE: u32;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.n * p.oh * p.ow * C) { return; }
    let ch = idx % C;
    var r = idx / C;
    let ox = r % p.ow;
    r = r / p.ow;
    let oy = r % p.oh;
    let b = r / p.oh;
    var acc = bias[ch];
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(p.pad_top);
        if (iy < 0 || iy >= i32(p.h)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(p.pad_left);
            if (ix < 0 || ix >= i32(p.w)) { continue; }
            acc += x[((b * p.h + u32(iy)) * p.w + u32(ix)) * C + ch] * wt[(ky * KW + kx) * C + ch];
        }
    }
    y[idx] = acc;
}
