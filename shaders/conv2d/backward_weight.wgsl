// Conv2D gradient with respect to the weights: one workgroup per weight element (o, ky, kx, c);
// its WG lanes stride over the n*oh output rows, sweep each row without integer division
// (which lavapipe cannot vectorize), and reduce in workgroup memory.
// dw[o, ky, kx, c] = sum_{b, oy, ox} dy[b, oy, ox, o] * x[b, oy*s + ky - pad_top, ox*s + kx - pad_left, c]
// Params: shaders/common/conv_params.wgsl.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
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
        let rows = p.n * p.oh;
        for (var row = lane; row < rows; row += WG) {
            let oy = row % p.oh;
            let b = row / p.oh;
            let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
            if (iy < 0 || iy >= i32(p.h)) { continue; }
            let x_row = (b * p.h + u32(iy)) * p.w;
            let dy_row = row * p.ow;
            for (var ox = 0u; ox < p.ow; ox++) {
                let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
                if (ix < 0 || ix >= i32(p.w)) { continue; }
                acc += dy[(dy_row + ox) * p.o + oc] * x[(x_row + u32(ix)) * p.c + ci];
            }
        }
    }
    partial[lane] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lane < s) { partial[lane] += partial[lane + s]; }
        workgroupBarrier();
    }
    if (valid && lane == 0u) { dw[widx] = partial[0]; }
}
