// Max pooling backward: dx[i] = sum of dy[o] over the windows o whose recorded maximum is i.
// Non-overlapping windows (k == stride, the usual 2x2/2): one invocation per window writes
// all k*k inputs of its window; the last window of a row or column also zeroes the inputs that
// no window covers. Overlapping windows (scattering per window would race): one invocation per
// input element, which sums over the windows that contain it.
struct Params { n: u32, h: u32, w: u32, c: u32, oh: u32, ow: u32, k: u32, stride: u32, pad_top: u32, pad_left: u32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn input_index(b: u32, iy: u32, ix: u32, ch: u32) -> u32 {
    return ((b * p.h + iy) * p.w + ix) * p.c + ch;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (p.k == p.stride) {
        if (idx >= p.n * p.oh * p.ow * p.c) { return; }
        let ch = idx % p.c;
        var r = idx / p.c;
        let ox = r % p.ow;
        r = r / p.ow;
        let oy = r % p.oh;
        let b = r / p.oh;
        let g = dy[idx];
        let arg = argmax[idx];
        // Rows and columns of inputs this invocation owns: its window's in-bounds part,
        // extended to the edge for the last window of a row or column.
        let y_start = u32(max(i32(oy * p.k) - i32(p.pad_top), 0));
        let x_start = u32(max(i32(ox * p.k) - i32(p.pad_left), 0));
        let y_end = select(oy * p.k + p.k - p.pad_top, p.h, oy + 1u == p.oh);
        let x_end = select(ox * p.k + p.k - p.pad_left, p.w, ox + 1u == p.ow);
        for (var iy = y_start; iy < y_end; iy++) {
            for (var ix = x_start; ix < x_end; ix++) {
                let i = input_index(b, iy, ix, ch);
                dx[i] = select(0.0, g, i == arg);
            }
        }
        return;
    }
    if (idx >= p.n * p.h * p.w * p.c) { return; }
    let ch = idx % p.c;
    var r = idx / p.c;
    let ix = r % p.w;
    r = r / p.w;
    let iy = r % p.h;
    let b = r / p.h;
    var acc = 0.0;
    // Windows oy with oy*s <= py < oy*s + k, py = iy + pad_top the row in the padded input.
    let py = iy + p.pad_top;
    let px = ix + p.pad_left;
    let oy_hi = min(py / p.stride, p.oh - 1u);
    let ox_hi = min(px / p.stride, p.ow - 1u);
    let oy_lo = select(0u, (py + p.stride - p.k) / p.stride, py + p.stride >= p.k);
    let ox_lo = select(0u, (px + p.stride - p.k) / p.stride, px + p.stride >= p.k);
    for (var oy = oy_lo; oy <= oy_hi; oy++) {
        if (py < oy * p.stride || py >= oy * p.stride + p.k) { continue; }
        for (var ox = ox_lo; ox <= ox_hi; ox++) {
            if (px < ox * p.stride || px >= ox * p.stride + p.k) { continue; }
            let o = ((b * p.oh + oy) * p.ow + ox) * p.c + ch;
            if (argmax[o] == idx) { acc += dy[o]; }
        }
    }
    dx[idx] = acc;
}
