// Conv2D forward, NHWC input; weights as conv2d/weights_ko.wgsl lays them out, [K, O4] vec4s
// (K = KH * KW * C taps, O4 = ceil(O / 4); the OHWI weight w[o, ky, kx, c] is at tap
// (ky * KW + kx) * C + c, lane o % 4 of vec4 o / 4).
// y[b, oy, ox, o] = bias[o] + sum_{ky, kx, c} x[b, oy*s - pad_top + ky, ox*s - pad_left + kx, c] * w[o, ky, kx, c]
// Taps that fall in the padding contribute nothing.
// The kernel's shape (KH, KW, C, O, STRIDE, and the spatial sizes H, W, OH, OW, PAD_TOP,
// PAD_LEFT) is fixed per layer when its pipeline is created (override constants,
// gpu::Specialization), so the compiler unrolls the tap loops, drops the accumulators a layer
// with few channels does not use, divides by constants and folds the bounds checks that
// cannot fail (every one, with valid padding).
// With RELU, the layer's (capped) ReLU is applied before the store: y = min(max(y, 0), CAP)
// (CAP is f32 max for a plain ReLU), and no activation pass follows.
// One invocation per output pixel and block of up to NV vec4s of output channels
// (workgroup_id.z): per tap it loads one input value and NV vec4s of weights, into NV vec4
// accumulators. A block past the last vec4 reads the last one and stores nothing. Each output
// starts at its bias and adds its taps in (ky, kx, c) order, as the CPU twin does.
// Params: shaders/common/conv_params.wgsl (only the batch size is read from it).
override KH: u32;
override KW: u32;
override C: u32;
override O: u32;
override STRIDE: u32;
override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override PAD_TOP: u32;
override PAD_LEFT: u32;
override RELU: bool;
override CAP: f32;
override O4: u32 = (O + 3u) / 4u;
// vec4 accumulators per invocation (up to 16 output channels).
override NV: u32 = min(4u, O4);

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wk: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
// y is read as whole vec4s (buffers are padded to them): when O % 4 == 0 each pixel's outputs are
// whole vec4s and are stored as such, else one component at a time.
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>) {
    let pixel = gid.x + gid.y * nwg.x * WG;
    if (pixel >= p.n * OH * OW) { return; }
    let ox = pixel % OW;
    let r = pixel / OW;
    let oy = r % OH;
    let b = r / OH;
    // The block's vec4 columns, clamped to the last (bias is padded to whole vec4s; the lanes
    // past O are never stored).
    // With one block (O4 == NV) it is block 0, a constant the compiler folds.
    let block = select(wid.z, 0u, O4 == NV);
    let c0 = min(block * NV, O4 - 1u);
    let c1 = min(block * NV + 1u, O4 - 1u);
    let c2 = min(block * NV + 2u, O4 - 1u);
    let c3 = min(block * NV + 3u, O4 - 1u);
    var a0 = bias[c0];
    var a1 = vec4(0.0);
    var a2 = vec4(0.0);
    var a3 = vec4(0.0);
    if (NV > 1u) { a1 = bias[c1]; }
    if (NV > 2u) { a2 = bias[c2]; }
    if (NV > 3u) { a3 = bias[c3]; }
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            let xb = ((b * H + u32(iy)) * W + u32(ix)) * C;
            let tap = (ky * KW + kx) * C;
            for (var ci = 0u; ci < C; ci++) {
                let xv = x[xb + ci];
                let row = (tap + ci) * O4;
                a0 += xv * wk[row + c0];
                if (NV > 1u) { a1 += xv * wk[row + c1]; }
                if (NV > 2u) { a2 += xv * wk[row + c2]; }
                if (NV > 3u) { a3 += xv * wk[row + c3]; }
            }
        }
    }
    if (RELU) {
        a0 = min(max(a0, vec4(0.0)), vec4(CAP));
        a1 = min(max(a1, vec4(0.0)), vec4(CAP));
        a2 = min(max(a2, vec4(0.0)), vec4(CAP));
        a3 = min(max(a3, vec4(0.0)), vec4(CAP));
    }
    if (O % 4u == 0u) {
        // Vec4 c of this pixel is y[pixel * O4 + c]; a block past the last one stores nothing.
        let yb = pixel * O4;
        let v = block * NV;
        y[yb + c0] = a0;
        if (NV > 1u && v + 1u < O4) { y[yb + c1] = a1; }
        if (NV > 2u && v + 2u < O4) { y[yb + c2] = a2; }
        if (NV > 3u && v + 3u < O4) { y[yb + c3] = a3; }
        return;
    }
    let yb = pixel * O;
    let oc0 = block * NV * 4u;
    for (var e = 0u; e < 4u; e++) {
        if (oc0 + e < O) { store(yb + oc0 + e, a0[e]); }
        if (NV > 1u && oc0 + 4u + e < O) { store(yb + oc0 + 4u + e, a1[e]); }
        if (NV > 2u && oc0 + 8u + e < O) { store(yb + oc0 + 8u + e, a2[e]); }
        if (NV > 3u && oc0 + 12u + e < O) { store(yb + oc0 + 12u + e, a3[e]); }
    }
}

// Stores output element i (one component of a vec4).
fn store(i: u32, v: f32) {
    y[i / 4u][i % 4u] = v;
}
