// DEPTHWISE_CONV_2D (one filter per channel) on an int8 NHWC batch, as
// qat_int8::interpreter::depthwise_conv2d: acc = bias[ch] + sum over in-bounds taps of
// w[ky, kx, ch] * (x - in_zp), then MBQM + out_zp (saturating), clamped. The shape is fixed per
// pipeline (override constants). With C % 16 == 0 a lane computes 16 channels of one pixel,
// reading the input and the [KH, KW, C] weights 16 bytes at a time; with C % 4 == 0 a lane
// computes one output word (four channels of one pixel) a word at a time; else each value
// alone (ops::int8::depthwise_grid launches as many lanes as the path needs). The channel
// parameters are blocks of three vec4s per four channels: biases, multipliers, shifts
// (ops::int8::depthwise_channels). x and the weights are bound as vec4s (whole 16-byte
// blocks, as every buffer is padded to) and read a word at a time where a path needs words.
override KH: u32;
override KW: u32;
override C: u32;
override STRIDE: u32;
override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override PAD_TOP: u32;
override PAD_LEFT: u32;
// Words and 16-byte blocks of channels per pixel (at least 1, so that the paths a shape does
// not take stay valid).
override C4: u32 = max(C / 4u, 1u);
override C16: u32 = max(C / 16u, 1u);

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> channels: array<vec4<i32>>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;

fn x_word(i: u32) -> u32 { return x[i / 4u][i % 4u]; }
fn w_word(i: u32) -> u32 { return weights[i / 4u][i % 4u]; }
fn x_at(i: u32) -> i32 { return q8_byte(x_word(i / 4u), i % 4u); }
fn w_at(i: u32) -> i32 { return q8_byte(w_word(i / 4u), i % 4u); }

fn finish(acc: i32, multiplier: i32, shift: i32) -> i32 {
    return clamp(q8_add_sat(q8_mbqm(acc, multiplier, shift), p.out_zp), p.clamp_min, p.clamp_max);
}

// Channels 4 w .. 4 w + 3 of `acc`, requantized and packed.
fn requantize_word(acc: vec4<i32>, w: u32) -> u32 {
    let m = channels[3u * w + 1u];
    let s = channels[3u * w + 2u];
    return q8_pack(vec4<i32>(finish(acc.x, m.x, s.x), finish(acc.y, m.y, s.y), finish(acc.z, m.z, s.z), finish(acc.w, m.w, s.w)));
}

fn value(idx: u32) -> i32 {
    let ch = idx % C;
    let pix = idx / C;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    let block = 3u * (ch / 4u);
    var acc = channels[block][ch % 4u];
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            acc += w_at((ky * KW + kx) * C + ch) * (x_at(((b * H + u32(iy)) * W + u32(ix)) * C + ch) - p.in_zp);
        }
    }
    return finish(acc, channels[block + 1u][ch % 4u], channels[block + 2u][ch % 4u]);
}

// Output word `word`: channels 4 (word % (C / 4)) .. + 3 of one pixel (C % 4 == 0).
fn four(word: u32) -> u32 {
    let w4 = word % C4;
    let pix = word / C4;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var acc = channels[3u * w4];
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            let xv = q8_unpack(x_word(((b * H + u32(iy)) * W + u32(ix)) * C4 + w4)) - vec4<i32>(p.in_zp);
            acc += xv * q8_unpack(w_word((ky * KW + kx) * C4 + w4));
        }
    }
    return requantize_word(acc, w4);
}

// Channels 16 g .. 16 g + 15 of one pixel (lane t: g = t % (C / 16)), C % 16 == 0.
fn sixteen(t: u32) {
    let g = t % (C16);
    let pix = t / (C16);
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var a0 = channels[12u * g];
    var a1 = channels[12u * g + 3u];
    var a2 = channels[12u * g + 6u];
    var a3 = channels[12u * g + 9u];
    let zp = vec4<i32>(p.in_zp);
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            let xv = x[((b * H + u32(iy)) * W + u32(ix)) * (C16) + g];
            let wv = weights[(ky * KW + kx) * (C16) + g];
            a0 += (q8_unpack(xv.x) - zp) * q8_unpack(wv.x);
            a1 += (q8_unpack(xv.y) - zp) * q8_unpack(wv.y);
            a2 += (q8_unpack(xv.z) - zp) * q8_unpack(wv.z);
            a3 += (q8_unpack(xv.w) - zp) * q8_unpack(wv.w);
        }
    }
    let yb = pix * C4 + 4u * g;
    y[yb] = requantize_word(a0, 4u * g);
    y[yb + 1u] = requantize_word(a1, 4u * g + 1u);
    y[yb + 2u] = requantize_word(a2, 4u * g + 2u);
    y[yb + 3u] = requantize_word(a3, 4u * g + 3u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let lane = gid.x + gid.y * nwg.x * WG;
    let total = p.batch * OH * OW * C;
    if (C % 16u == 0u) {
        if (lane < total / 16u) { sixteen(lane); }
        return;
    }
    if (lane * 4u >= total) { return; }
    if (C % 4u == 0u) {
        y[lane] = four(lane);
        return;
    }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (lane * 4u + k < total) { v[k] = value(lane * 4u + k); }
    }
    y[lane] = q8_pack(v);
}
