// Max pooling backward, one invocation per input element: the sum of the output gradients of
// every window whose recorded maximum is this element.
struct Params { n: u32, h: u32, w: u32, c: u32, oh: u32, ow: u32, k: u32, stride: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * 64u;
    if (idx >= p.n * p.h * p.w * p.c) { return; }
    let ch = idx % p.c;
    var r = idx / p.c;
    let ix = r % p.w;
    r = r / p.w;
    let iy = r % p.h;
    let b = r / p.h;
    var acc = 0.0;
    // Windows oy with oy*s <= iy < oy*s + k.
    let oy_hi = min(iy / p.stride, p.oh - 1u);
    let ox_hi = min(ix / p.stride, p.ow - 1u);
    let oy_lo = select(0u, (iy + p.stride - p.k) / p.stride, iy + p.stride >= p.k);
    let ox_lo = select(0u, (ix + p.stride - p.k) / p.stride, ix + p.stride >= p.k);
    for (var oy = oy_lo; oy <= oy_hi; oy++) {
        if (iy < oy * p.stride || iy >= oy * p.stride + p.k) { continue; }
        for (var ox = ox_lo; ox <= ox_hi; ox++) {
            if (ix < ox * p.stride || ix >= ox * p.stride + p.k) { continue; }
            let o = ((b * p.oh + oy) * p.ow + ox) * p.c + ch;
            if (argmax[o] == idx) { acc += dy[o]; }
        }
    }
    dx[idx] = acc;
}
