// DEPTHWISE_CONV_2D (one filter per channel) on an int8 NHWC batch, as
// qat_int8::interpreter::depthwise_conv2d: acc = bias[ch] + sum over in-bounds taps of
// w[ky, kx, ch] * (x - in_zp), then MBQM + out_zp (saturating), clamped. One lane per output
// word. The shape is fixed per pipeline (override constants); with C % 4 == 0 a word is four
// channels of one pixel, and the input and the [KH, KW, C] weights are read a word at a time.
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

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<i32>;
@group(0) @binding(4) var<storage, read> multipliers: array<vec2<i32>>;
@group(0) @binding(5) var<storage, read_write> y: array<u32>;

fn x_at(i: u32) -> i32 { return q8_byte(x[i / 4u], i % 4u); }
fn w_at(i: u32) -> i32 { return q8_byte(weights[i / 4u], i % 4u); }

fn requantize(acc: i32, ch: u32) -> i32 {
    let m = multipliers[ch];
    return clamp(q8_add_sat(q8_mbqm(acc, m.x, m.y), p.out_zp), p.clamp_min, p.clamp_max);
}

fn value(idx: u32) -> i32 {
    let ch = idx % C;
    let pix = idx / C;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var acc = bias[ch];
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            acc += w_at((ky * KW + kx) * C + ch) * (x_at(((b * H + u32(iy)) * W + u32(ix)) * C + ch) - p.in_zp);
        }
    }
    return requantize(acc, ch);
}

fn four(idx: u32) -> vec4<i32> {
    let ch = idx % C;
    let pix = idx / C;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var acc = vec4<i32>(bias[ch], bias[ch + 1u], bias[ch + 2u], bias[ch + 3u]);
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            let xv = q8_unpack(x[(((b * H + u32(iy)) * W + u32(ix)) * C + ch) / 4u]) - vec4<i32>(p.in_zp);
            acc += xv * q8_unpack(weights[((ky * KW + kx) * C + ch) / 4u]);
        }
    }
    return vec4<i32>(requantize(acc.x, ch), requantize(acc.y, ch + 1u), requantize(acc.z, ch + 2u), requantize(acc.w, ch + 3u));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    let total = p.batch * OH * OW * C;
    if (word * 4u >= total) { return; }
    if (C % 4u == 0u) {
        y[word] = q8_pack(four(word * 4u));
        return;
    }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (word * 4u + k < total) { v[k] = value(word * 4u + k); }
    }
    y[word] = q8_pack(v);
}
