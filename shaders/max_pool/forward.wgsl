// Max pooling forward (windows of size k, stride s, over their in-bounds taps: the padding,
// pad_top rows and pad_left columns before the input, is never the maximum), NHWC. Also records
// the flat input index of each window's maximum (the first one on ties) for the backward pass.
struct Params { n: u32, h: u32, w: u32, c: u32, oh: u32, ow: u32, k: u32, stride: u32, pad_top: u32, pad_left: u32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;

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
    var best = -3.402823e38;
    var best_i = 0u;
    var found = false;
    for (var ky = 0u; ky < p.k; ky++) {
        let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
        if (iy < 0 || iy >= i32(p.h)) { continue; }
        for (var kx = 0u; kx < p.k; kx++) {
            let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
            if (ix < 0 || ix >= i32(p.w)) { continue; }
            let i = ((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch;
            let v = x[i];
            if (v > best || !found) { best = v; best_i = i; found = true; }
        }
    }
    y[idx] = best;
    argmax[idx] = best_i;
}
