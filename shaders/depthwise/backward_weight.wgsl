// Depthwise Conv2D gradient with respect to the weights, split over the output positions:
// dw[ky, kx, ch] = sum_{b, oy, ox} dy[b, oy, ox, ch] * x[b, oy*s + ky - pad_top, ox*s + kx - pad_left, ch]
// (taps in the padding contribute nothing).
// Each lane owns four consecutive channels (workgroup_id.y picks them) for a block of up to 16
// taps (workgroup_id.z picks it; one block for kernels up to 4x4), and sweeps
// the positions P = lane, lane + L, ... (L = every lane of the dispatch): per position one vec4
// of dy and one of x per tap. Its partial sums go to row `lane` of `partial` ([L, KH * KW * C],
// the weights' layout), and reduce/column_sum.wgsl adds the L rows into dw in a fixed order.
// The kernel's shape (KH, KW, C, STRIDE) is fixed per layer when its pipeline is created
// (override constants, gpu::Specialization), so the compiler unrolls the tap loops.
// Params: shaders/common/conv_params.wgsl (the batch and spatial sizes and the padding).
override KH: u32;
override KW: u32;
override C: u32;
override STRIDE: u32;
// Lanes (rows of `partial`), fewer than the dispatch's when the weights are many
// (`conv2d::weight_gradient_lanes`).
override LANES: u32;
override TAPS: u32 = KH * KW;

@group(0) @binding(0) var<uniform> p: Params;
// Whole vec4s (buffers are padded to them): one load of four channels when C % 4 == 0, else one
// component at a time.
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

// Channels ch0 .. ch0 + 3 at element offset `base` (a multiple of C) of x (from_x) or dy;
// channels past C read 0.
fn load(from_x: bool, base: u32, ch0: u32) -> vec4<f32> {
    if (C % 4u == 0u) {
        if (from_x) { return x[(base + ch0) / 4u]; }
        return dy[(base + ch0) / 4u];
    }
    var v = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
        let i = base + ch0 + j;
        if (ch0 + j < C) {
            if (from_x) { v[j] = x[i / 4u][i % 4u]; } else { v[j] = dy[i / 4u][i % 4u]; }
        }
    }
    return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let ch0 = wid.y * 4u;
    let l = wid.x * WG + lane;
    // LANES rows of partial sums: the dispatch's last workgroup may have lanes past them.
    let lanes = LANES;
    if (l >= lanes) { return; }
    // With one tap block it is block 0, a constant the compiler folds.
    let t0 = select(wid.z * 16u, 0u, TAPS <= 16u);
    let nt = min(16u, TAPS - t0);
    var acc: array<vec4<f32>, 16>;
    let positions = p.n * p.oh * p.ow;
    for (var pos = l; pos < positions; pos += lanes) {
        let ox = pos % p.ow;
        let r = pos / p.ow;
        let oy = r % p.oh;
        let b = r / p.oh;
        let d = load(false, pos * C, ch0);
        for (var t = 0u; t < nt; t++) {
            let ky = (t0 + t) / KW;
            let kx = (t0 + t) % KW;
            let iy = i32(oy * STRIDE + ky) - i32(p.pad_top);
            let ix = i32(ox * STRIDE + kx) - i32(p.pad_left);
            if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
                acc[t] += d * load(true, ((b * p.h + u32(iy)) * p.w + u32(ix)) * C, ch0);
            }
        }
    }
    let row = l * TAPS * C;
    for (var t = 0u; t < nt; t++) {
        for (var j = 0u; j < 4u; j++) {
            if (ch0 + j < C) { partial[row + (t0 + t) * C + ch0 + j] = acc[t][j]; }
        }
    }
}
