// Average pooling forward (k x k windows, stride s, TF "valid"/"same" padding), NHWC: the mean
// over the in-bounds taps only (padding is not counted), as TFLite's AVERAGE_POOL_2D.
struct Params {
    n: u32, h: u32, w: u32, c: u32,
    oh: u32, ow: u32, k: u32, stride: u32,
    pad_top: u32, pad_left: u32, _pad0: u32, _pad1: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.n * p.oh * p.ow * p.c) { return; }
    let ch = idx % p.c;
    var r = idx / p.c;
    let ox = r % p.ow;
    r = r / p.ow;
    let oy = r % p.oh;
    let b = r / p.oh;
    var sum = 0.0;
    var count = 0u;
    for (var ky = 0u; ky < p.k; ky++) {
        let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
        if (iy < 0 || iy >= i32(p.h)) { continue; }
        for (var kx = 0u; kx < p.k; kx++) {
            let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
            if (ix < 0 || ix >= i32(p.w)) { continue; }
            sum += x[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch];
            count += 1u;
        }
    }
    y[idx] = sum / f32(max(count, 1u));
}
