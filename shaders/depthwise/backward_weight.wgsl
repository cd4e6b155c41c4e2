// Depthwise Conv2D gradient with respect to the weights: one workgroup per weight element
// (ky, kx, ch); its WG lanes stride over the n*oh output rows, sweep each row, and reduce in
// workgroup memory. dw[ky, kx, ch] = sum_{b, oy, ox} dy[b, oy, ox, ch] * x[b, oy*s + ky - pad_top, ox*s + kx - pad_left, ch]
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
    let valid = widx < p.kh * p.kw * p.c;
    let ch = widx % p.c;
    let tap = widx / p.c;
    let kx = tap % p.kw;
    let ky = tap / p.kw;
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
                acc += dy[(dy_row + ox) * p.c + ch] * x[(x_row + u32(ix)) * p.c + ch];
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
