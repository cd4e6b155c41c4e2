// CONV_2D on an int8 NHWC batch, as qat_int8::interpreter::conv2d: per output value
// acc = bias[oc] + sum over in-bounds taps of w[oc, ky, kx, ci] * (x - in_zp) (i32; the model
// reader bounds it), then MBQM(acc, multiplier[oc]) + out_zp (saturating), clamped.
// The layer's shape is fixed when its pipeline is created (override constants), so loops
// unroll and index arithmetic divides by constants. Four ways to cut the work, picked by the
// shape (ops::int8::conv2d_grid launches as many lanes as the one picked needs):
// - C % 16 == 0, O % 4 == 0 (`block`): a lane computes four output channels of four
//   consecutive pixels. Weights are 16-byte blocks [KH, KW, C / 4, O / 4], word k of a block
//   holding output channel 4 o4 + k's four input channels (ops::int8::conv_weight_words), so
//   that each is one q8_dot4 (dot4I8Packed where the adapter has it: the registry's "dot4"
//   variants) with a word of input; the input is read 16 channels at a time and each weight
//   block feeds four pixels. The zero point comes off as in_zp times the tap's weight sums
//   (tap_sums, per tap and output channel), for the taps inside the image only.
// - C % 4 == 0, O % 4 == 0 (`four`): four output channels of one pixel, the same blocks read
//   a word of input at a time.
// - C % 4 != 0, O % 4 == 0 (`stem`, e.g. a first layer on one or three channels): up to 16
//   output channels (NV words; block workgroup_id.z of them) of one pixel, the weights laid
//   out in blocks of 16 output channels of one input channel, so each input value and each
//   weight block is loaded once per lane and tap.
// - otherwise (`value`): OHWI weights, each output value computed alone.
// x, the weights and y are int8 packed four per u32; x and the weights are bound as vec4s
// (whole 16-byte blocks, as every buffer is padded to) and read a word at a time where a
// path needs words.
override KH: u32;
override KW: u32;
override C: u32;
override STRIDE: u32;
override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override O: u32;
override PAD_TOP: u32;
override PAD_LEFT: u32;
// Words of output channels per pixel (at least 1, so that the paths a shape does not take stay
// valid), and per `stem` lane.
override O4: u32 = max(O / 4u, 1u);
override NV: u32 = min(4u, O4);
// `stem` weight blocks (16 output channels) per tap and input channel.
override O16: u32 = (O + 15u) / 16u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<u32>>;
// Per tap and four output channels: the sums of their weights over the input channels.
@group(0) @binding(3) var<storage, read> tap_sums: array<vec4<i32>>;
// Per four output channels three blocks: their biases, multipliers and shifts
// (ops::int8::channel_blocks).
@group(0) @binding(4) var<storage, read> channels: array<vec4<i32>>;
@group(0) @binding(5) var<storage, read_write> y: array<u32>;

fn x_word(i: u32) -> u32 { return x[i / 4u][i % 4u]; }
fn w_word(i: u32) -> u32 { return weights[i / 4u][i % 4u]; }
fn x_at(i: u32) -> i32 { return q8_byte(x_word(i / 4u), i % 4u); }
fn w_at(i: u32) -> i32 { return q8_byte(w_word(i / 4u), i % 4u); }

fn finish(acc: i32, multiplier: i32, shift: i32) -> i32 {
    return clamp(q8_add_sat(q8_mbqm(acc, multiplier, shift), p.out_zp), p.clamp_min, p.clamp_max);
}

fn requantize(acc: i32, oc: u32) -> i32 {
    let block = 3u * (oc / 4u);
    return finish(acc, channels[block + 1u][oc % 4u], channels[block + 2u][oc % 4u]);
}

// Output channels 4 w .. 4 w + 3 of `a`, requantized and packed.
fn requantize_word(a: vec4<i32>, w: u32) -> u32 {
    let m = channels[3u * w + 1u];
    let s = channels[3u * w + 2u];
    return q8_pack(vec4<i32>(finish(a.x, m.x, s.x), finish(a.y, m.y, s.y), finish(a.z, m.z, s.z), finish(a.w, m.w, s.w)));
}

fn bias_word(w: u32) -> vec4<i32> {
    return channels[3u * w];
}

// One value (the OHWI layout).
fn value(idx: u32) -> i32 {
    let oc = idx % O;
    let pix = idx / O;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var acc = channels[3u * (oc / 4u)][oc % 4u];
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            let xb = ((b * H + u32(iy)) * W + u32(ix)) * C;
            let wb = ((oc * KH + ky) * KW + kx) * C;
            for (var ci = 0u; ci < C; ci++) {
                acc += w_at(wb + ci) * (x_at(xb + ci) - p.in_zp);
            }
        }
    }
    return requantize(acc, oc);
}

// The accumulators of output channels 4 o4 .. 4 o4 + 3 of one pixel (C % 4 == 0, the block
// layout).
fn four(idx: u32) -> vec4<i32> {
    let o4 = (idx % O) / 4u;
    let pix = idx / O;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var acc = bias_word(o4);
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            let xb = ((b * H + u32(iy)) * W + u32(ix)) * (C / 4u);
            let tap = ky * KW + kx;
            acc -= p.in_zp * tap_sums[tap * O4 + o4];
            let bb = tap * (C / 4u) * O4 + o4;
            for (var c4 = 0u; c4 < C / 4u; c4++) {
                let xw = x_word(xb + c4);
                let wv = weights[bb + c4 * O4];
                acc += vec4<i32>(q8_dot4(xw, wv.x), q8_dot4(xw, wv.y), q8_dot4(xw, wv.z), q8_dot4(xw, wv.w));
            }
        }
    }
    return acc;
}

// The four output channels of 16 input channels `xv` (four words) against the blocks of
// input-channel words 0..3 (w0..w3).
fn dot16(xv: vec4<u32>, w0: vec4<u32>, w1: vec4<u32>, w2: vec4<u32>, w3: vec4<u32>) -> vec4<i32> {
    return vec4<i32>(
        q8_dot4(xv.x, w0.x) + q8_dot4(xv.y, w1.x) + q8_dot4(xv.z, w2.x) + q8_dot4(xv.w, w3.x),
        q8_dot4(xv.x, w0.y) + q8_dot4(xv.y, w1.y) + q8_dot4(xv.z, w2.y) + q8_dot4(xv.w, w3.y),
        q8_dot4(xv.x, w0.z) + q8_dot4(xv.y, w1.z) + q8_dot4(xv.z, w2.z) + q8_dot4(xv.w, w3.z),
        q8_dot4(xv.x, w0.w) + q8_dot4(xv.y, w1.w) + q8_dot4(xv.z, w2.w) + q8_dot4(xv.w, w3.w));
}

// Output channels 4 (t % O4) .. + 3 of pixels 4 (t / O4) .. + 3 (C % 16 == 0): each weight
// block is loaded once for four pixels. Pixels past the batch's last compute on pixel 0's
// address range and store nothing.
fn block(t: u32) {
    let o4 = t % O4;
    let pix0 = (t / O4) * 4u;
    let pixels = p.batch * OH * OW;
    let bias = bias_word(o4);
    var acc = array<vec4<i32>, 4>(bias, bias, bias, bias);
    for (var ky = 0u; ky < KH; ky++) {
        for (var kx = 0u; kx < KW; kx++) {
            let tap = ky * KW + kx;
            let zs = p.in_zp * tap_sums[tap * O4 + o4];
            var xb = array<u32, 4>(0u, 0u, 0u, 0u);
            var inside = array<bool, 4>(false, false, false, false);
            for (var j = 0u; j < 4u; j++) {
                let pix = pix0 + j;
                let ox = pix % OW;
                let oy = (pix / OW) % OH;
                let b = pix / (OW * OH);
                let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
                let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
                inside[j] = pix < pixels && iy >= 0 && iy < i32(H) && ix >= 0 && ix < i32(W);
                xb[j] = select(0u, ((b * H + u32(iy)) * W + u32(ix)) * (C / 16u), inside[j]);
                if (inside[j]) { acc[j] -= zs; }
            }
            let bb = tap * (C / 4u) * O4 + o4;
            for (var c16 = 0u; c16 < C / 16u; c16++) {
                let w0 = weights[bb + (4u * c16) * O4];
                let w1 = weights[bb + (4u * c16 + 1u) * O4];
                let w2 = weights[bb + (4u * c16 + 2u) * O4];
                let w3 = weights[bb + (4u * c16 + 3u) * O4];
                for (var j = 0u; j < 4u; j++) {
                    if (inside[j]) { acc[j] += dot16(x[xb[j] + c16], w0, w1, w2, w3); }
                }
            }
        }
    }
    for (var j = 0u; j < 4u; j++) {
        let pix = pix0 + j;
        if (pix < pixels) { y[pix * O4 + o4] = requantize_word(acc[j], o4); }
    }
}

// Output-channel words block * NV .. + NV - 1 of one pixel (C % 4 != 0; the weights
// [KH, KW, C, ceil(O / 16)] blocks of four words: one block load per tap, input channel and
// lane). A block past the last word stores nothing.
fn stem(pix: u32, block: u32) {
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    let v = block * NV;
    let c0 = min(v, O4 - 1u);
    let c1 = min(v + 1u, O4 - 1u);
    let c2 = min(v + 2u, O4 - 1u);
    let c3 = min(v + 3u, O4 - 1u);
    var a0 = bias_word(c0);
    var a1 = vec4<i32>(0);
    var a2 = vec4<i32>(0);
    var a3 = vec4<i32>(0);
    if (NV > 1u) { a1 = bias_word(c1); }
    if (NV > 2u) { a2 = bias_word(c2); }
    if (NV > 3u) { a3 = bias_word(c3); }
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            let xb = ((b * H + u32(iy)) * W + u32(ix)) * C;
            let tap = (ky * KW + kx) * C;
            for (var ci = 0u; ci < C; ci++) {
                let xv = x_at(xb + ci) - p.in_zp;
                let wv = weights[(tap + ci) * O16 + block];
                a0 += xv * q8_unpack(wv.x);
                if (NV > 1u) { a1 += xv * q8_unpack(wv.y); }
                if (NV > 2u) { a2 += xv * q8_unpack(wv.z); }
                if (NV > 3u) { a3 += xv * q8_unpack(wv.w); }
            }
        }
    }
    let yb = pix * O4;
    y[yb + c0] = requantize_word(a0, c0);
    if (NV > 1u && v + 1u < O4) { y[yb + c1] = requantize_word(a1, c1); }
    if (NV > 2u && v + 2u < O4) { y[yb + c2] = requantize_word(a2, c2); }
    if (NV > 3u && v + 3u < O4) { y[yb + c3] = requantize_word(a3, c3); }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>) {
    let lane = gid.x + gid.y * nwg.x * WG;
    let pixels = p.batch * OH * OW;
    if (O % 4u == 0u && C % 16u == 0u) {
        if (lane < ((pixels + 3u) / 4u) * O4) { block(lane); }
        return;
    }
    if (O % 4u == 0u && C % 4u == 0u) {
        if (lane < pixels * O4) { y[lane] = requantize_word(four(lane * 4u), lane % O4); }
        return;
    }
    if (O % 4u == 0u) {
        if (lane < pixels) { stem(lane, select(wid.z, 0u, O16 == 1u)); }
        return;
    }
    let total = pixels * O;
    if (lane * 4u >= total) { return; }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (lane * 4u + k < total) { v[k] = value(lane * 4u + k); }
    }
    y[lane] = q8_pack(v);
}
