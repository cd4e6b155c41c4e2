// Average pooling backward, one invocation per input element: the sum over the windows that
// contain it of dy / (that window's in-bounds tap count).
struct Params {
    n: u32, h: u32, w: u32, c: u32,
    oh: u32, ow: u32, k: u32, stride: u32,
    pad_top: u32, pad_left: u32, _pad0: u32, _pad1: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

fn taps(o: u32, pad: u32, size: u32) -> u32 {
    let lo = max(i32(o * p.stride) - i32(pad), 0);
    let hi = min(i32(o * p.stride + p.k) - i32(pad), i32(size));
    return u32(max(hi - lo, 0));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.n * p.h * p.w * p.c) { return; }
    let ch = idx % p.c;
    var r = idx / p.c;
    let ix = r % p.w;
    r = r / p.w;
    let iy = r % p.h;
    let b = r / p.h;
    var acc = 0.0;
    // Window oy covers input rows [oy*s - pad_top, oy*s - pad_top + k).
    for (var oy = 0u; oy < p.oh; oy++) {
        let y0 = i32(oy * p.stride) - i32(p.pad_top);
        if (i32(iy) < y0 || i32(iy) >= y0 + i32(p.k)) { continue; }
        for (var ox = 0u; ox < p.ow; ox++) {
            let x0 = i32(ox * p.stride) - i32(p.pad_left);
            if (i32(ix) < x0 || i32(ix) >= x0 + i32(p.k)) { continue; }
            let count = taps(oy, p.pad_top, p.h) * taps(ox, p.pad_left, p.w);
            acc += dy[((b * p.oh + oy) * p.ow + ox) * p.c + ch] / f32(max(count, 1u));
        }
    }
    dx[idx] = acc;
}
