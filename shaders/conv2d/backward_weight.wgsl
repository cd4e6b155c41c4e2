// Conv2D gradients with respect to the weights and the bias, as a split-K implicit GEMM:
// dw[o, k] = sum over output positions P of dy[P, o] * x_col[P, k], where k = (ky, kx, ci) is the
// flattened OHWI weight index within a filter (K = KH * KW * C taps) and
// x_col[P, (ky, kx, ci)] = x[b, oy*s + ky - pad_top, ox*s + kx - pad_left, ci] (0 in the padding);
// db[o] = sum over P of dy[P, o].
//
// The kernel's shape (KH, KW, C, O, STRIDE) is fixed per layer when its pipeline is created
// (override constants, gpu::Specialization), so the compiler unrolls the tap loop.
// Each lane owns a register block of OV vec4s of output channels x 16 consecutive k
// (workgroup_id.z picks the block) and sweeps the positions P = lane, lane + L, ... (L = every
// lane of the dispatch): per position it loads OV vec4s of dy and up to 16 x values and does
// 64 OV multiply-adds, where the direct form did two loads per multiply-add. OV is 1 unless the
// filter has at most 16 taps (one k block, as a stem conv on few channels), where up to four
// vec4s of channels share each x load. Its partial sums go to row `lane` of `partial`
// ([L, O * K], OHWI); the lanes of the first k block also sum dy into row `lane` of
// `partial_bias` ([L, O]). reduce/column_sum.wgsl adds the L rows into dw and db, in a fixed
// order (the result does not depend on scheduling).
// Params: shaders/common/conv_params.wgsl (the batch and spatial sizes and the padding).
override KH: u32;
override KW: u32;
override C: u32;
override O: u32;
override STRIDE: u32;
// Lanes (rows of `partial`), fewer than the dispatch's when the filter is large
// (`conv2d::weight_gradient_lanes`).
override LANES: u32;
override BIG_K: u32 = KH * KW * C;
override KBLOCKS: u32 = (BIG_K + 15u) / 16u;

@group(0) @binding(0) var<uniform> p: Params;
// x too is read as whole vec4s: four consecutive input channels of one pixel per load when
// C % 4 == 0 (a block's taps then fall in whole vec4s), else one component at a time.
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
// dy is read as whole vec4s (buffers are padded to them): one load per position when O % 4 == 0,
// else one component at a time.
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial_bias: array<f32>;

override O4: u32 = (O + 3u) / 4u;
override OV: u32 = select(1u, min(O4, 4u), KBLOCKS == 1u);

const KB: u32 = 16u;

// The four dy values of channels o..o+3 at position pos (0 past O).
fn dy_block(pos: u32, o: u32) -> vec4<f32> {
    if (O % 4u == 0u) {
        if (o >= O) { return vec4(0.0); }
        return dy[(pos * O + o) / 4u];
    }
    var d = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
        if (o + j < O) {
            let i = pos * O + o + j;
            d[j] = dy[i / 4u][i % 4u];
        }
    }
    return d;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    // The block is uniform across the workgroup (with one k block, k0 is the constant 0).
    let o0 = (wid.z / KBLOCKS) * 4u * OV;
    let k0 = (wid.z % KBLOCKS) * KB;
    let nk = min(KB, BIG_K - k0);
    let l = wid.x * WG + lane;
    // LANES rows of partial sums: the dispatch's last workgroup may have lanes past them.
    let lanes = LANES;
    if (l >= lanes) { return; }
    // Decode k0 once: (ky0, kx0, ci0); the loop below steps through k incrementally.
    let ci0 = k0 % C;
    let kx0 = (k0 / C) % KW;
    let ky0 = k0 / (C * KW);
    var acc0: array<vec4<f32>, 16>;
    var acc1: array<vec4<f32>, 16>;
    var acc2: array<vec4<f32>, 16>;
    var acc3: array<vec4<f32>, 16>;
    var bacc = array<vec4<f32>, 4>();
    let positions = p.n * p.oh * p.ow;
    for (var pos = l; pos < positions; pos += lanes) {
        let ox = pos % p.ow;
        let r = pos / p.ow;
        let oy = r % p.oh;
        let b = r / p.oh;
        let d0 = dy_block(pos, o0);
        var d1 = vec4(0.0);
        var d2 = vec4(0.0);
        var d3 = vec4(0.0);
        if (OV > 1u) { d1 = dy_block(pos, o0 + 4u); }
        if (OV > 2u) { d2 = dy_block(pos, o0 + 8u); }
        if (OV > 3u) { d3 = dy_block(pos, o0 + 12u); }
        bacc[0] += d0;
        bacc[1] += d1;
        bacc[2] += d2;
        bacc[3] += d3;
        if (C % 4u == 0u) {
            for (var t4 = 0u; t4 < nk / 4u; t4++) {
                let k = k0 + 4u * t4;
                let ci = k % C;
                let kx = (k / C) % KW;
                let ky = k / (C * KW);
                let iy = i32(oy * STRIDE + ky) - i32(p.pad_top);
                let ix = i32(ox * STRIDE + kx) - i32(p.pad_left);
                if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
                    let xv = x[(((b * p.h + u32(iy)) * p.w + u32(ix)) * C + ci) / 4u];
                    for (var q = 0u; q < 4u; q++) {
                        let t = 4u * t4 + q;
                        acc0[t] += xv[q] * d0;
                        if (OV > 1u) { acc1[t] += xv[q] * d1; }
                        if (OV > 2u) { acc2[t] += xv[q] * d2; }
                        if (OV > 3u) { acc3[t] += xv[q] * d3; }
                    }
                }
            }
            continue;
        }
        var ci = ci0;
        var kx = kx0;
        var ky = ky0;
        for (var t = 0u; t < nk; t++) {
            let iy = i32(oy * STRIDE + ky) - i32(p.pad_top);
            let ix = i32(ox * STRIDE + kx) - i32(p.pad_left);
            if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
                let i = ((b * p.h + u32(iy)) * p.w + u32(ix)) * C + ci;
                let xv = x[i / 4u][i % 4u];
                acc0[t] += xv * d0;
                if (OV > 1u) { acc1[t] += xv * d1; }
                if (OV > 2u) { acc2[t] += xv * d2; }
                if (OV > 3u) { acc3[t] += xv * d3; }
            }
            ci += 1u;
            if (ci == C) {
                ci = 0u;
                kx += 1u;
                if (kx == KW) { kx = 0u; ky += 1u; }
            }
        }
    }
    let row = l * O * BIG_K;
    for (var j = 0u; j < 4u; j++) {
        for (var t = 0u; t < nk; t++) {
            if (o0 + j < O) { partial[row + (o0 + j) * BIG_K + k0 + t] = acc0[t][j]; }
            if (OV > 1u && o0 + 4u + j < O) { partial[row + (o0 + 4u + j) * BIG_K + k0 + t] = acc1[t][j]; }
            if (OV > 2u && o0 + 8u + j < O) { partial[row + (o0 + 8u + j) * BIG_K + k0 + t] = acc2[t][j]; }
            if (OV > 3u && o0 + 12u + j < O) { partial[row + (o0 + 12u + j) * BIG_K + k0 + t] = acc3[t][j]; }
        }
    }
    if (k0 == 0u) {
        for (var v = 0u; v < OV; v++) {
            for (var j = 0u; j < 4u; j++) {
                let o = o0 + 4u * v + j;
                if (o < O) { partial_bias[l * O + o] = bacc[v][j]; }
            }
        }
    }
}
