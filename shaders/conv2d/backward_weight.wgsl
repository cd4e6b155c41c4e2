// Conv2D gradient with respect to the weights: one workgroup per weight element (o, ky, kx, c);
// its 64 lanes stride over the n*oh*ow output positions and reduce in workgroup memory.
// dw[o, ky, kx, c] = sum_{b, oy, ox} dy[b, oy, ox, o] * x[b, oy*s + ky - pad_top, ox*s + kx - pad_left, c]
struct Params {
    n: u32, h: u32, w: u32, c: u32,
    oh: u32, ow: u32, o: u32, kh: u32,
    kw: u32, stride: u32, pad_top: u32, pad_left: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let widx = wid.x + wid.y * nwg.x;
    let total = p.o * p.kh * p.kw * p.c;
    // widx is uniform across the workgroup, so every lane takes the same branch.
    let valid = widx < total;
    let ci = widx % p.c;
    var r = widx / p.c;
    let kx = r % p.kw;
    r = r / p.kw;
    let ky = r % p.kh;
    let oc = r / p.kh;
    var acc = 0.0;
    if (valid) {
        let positions = p.n * p.oh * p.ow;
        for (var m = lane; m < positions; m += 64u) {
            let ox = m % p.ow;
            let t = m / p.ow;
            let oy = t % p.oh;
            let b = t / p.oh;
            let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
            let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
            if (iy < 0 || iy >= i32(p.h) || ix < 0 || ix >= i32(p.w)) { continue; }
            acc += dy[m * p.o + oc] * x[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ci];
        }
    }
    partial[lane] = acc;
    workgroupBarrier();
    for (var s = 32u; s > 0u; s = s >> 1u) {
        if (lane < s) { partial[lane] += partial[lane + s]; }
        workgroupBarrier();
    }
    if (valid && lane == 0u) { dw[widx] = partial[0]; }
}
