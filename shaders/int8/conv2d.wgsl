// CONV_2D on an int8 NHWC batch, as qat_int8::interpreter::conv2d: per output value
// acc = bias[oc] + sum over in-bounds taps of w[oc, ky, kx, ci] * (x - in_zp) (i32; the model
// reader bounds it), then MBQM(acc, multiplier[oc]) + out_zp (saturating), clamped. One lane
// per output word (four consecutive NHWC values).
// The layer's shape is fixed when its pipeline is created (override constants), so loops
// unroll and index arithmetic divides by constants. With O % 4 == 0 a word is four output
// channels of one pixel: the weights are then laid out tap-major with the output channel
// fastest ([KH, KW, C, O], ops::int8::conv_weight_words) so that one weight word feeds four
// accumulators; with C % 4 == 0 too, the input is read a word (four channels) at a time and
// the weights in 16-byte blocks [KH, KW, C / 4, O / 4], word k of a block holding output channel
// 4 o4 + k's four input channels, so that each is one q8_dot4 (dot4I8Packed where the adapter
// has it: the registry's "dot4" variants) with the input word; the zero point comes off as
// in_zp times the tap's weight sums (tap_sums, per tap and output channel). Otherwise the
// weights are OHWI and each value is computed alone.
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

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
// The same buffer read as 16-byte blocks (the C % 4 == 0 path).
@group(0) @binding(3) var<storage, read> weight_blocks: array<vec4<u32>>;
// Per tap and four output channels: the sums of their weights over the input channels.
@group(0) @binding(4) var<storage, read> tap_sums: array<vec4<i32>>;
// Per output channel: bias, multiplier, shift, 0.
@group(0) @binding(5) var<storage, read> channels: array<vec4<i32>>;
@group(0) @binding(6) var<storage, read_write> y: array<u32>;

fn x_at(i: u32) -> i32 { return q8_byte(x[i / 4u], i % 4u); }
fn w_at(i: u32) -> i32 { return q8_byte(weights[i / 4u], i % 4u); }

fn requantize(acc: i32, oc: u32) -> i32 {
    let m = channels[oc];
    return clamp(q8_add_sat(q8_mbqm(acc, m.y, m.z), p.out_zp), p.clamp_min, p.clamp_max);
}

// One value (the OHWI layout).
fn value(idx: u32) -> i32 {
    let oc = idx % O;
    let pix = idx / O;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var acc = channels[oc].x;
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

// Four output channels oc0..oc0+3 of one pixel (the [KH, KW, C, O] layout).
fn four(idx: u32) -> vec4<i32> {
    let oc0 = idx % O;
    let pix = idx / O;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var acc = vec4<i32>(channels[oc0].x, channels[oc0 + 1u].x, channels[oc0 + 2u].x, channels[oc0 + 3u].x);
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            let xb = ((b * H + u32(iy)) * W + u32(ix)) * C;
            if (C % 4u == 0u) {
                let tap = ky * KW + kx;
                acc -= p.in_zp * tap_sums[tap * (O / 4u) + oc0 / 4u];
                let bb = tap * (C / 4u) * (O / 4u) + oc0 / 4u;
                for (var c4 = 0u; c4 < C / 4u; c4++) {
                    let xw = x[xb / 4u + c4];
                    let wv = weight_blocks[bb + c4 * (O / 4u)];
                    acc += vec4<i32>(q8_dot4(xw, wv.x), q8_dot4(xw, wv.y), q8_dot4(xw, wv.z), q8_dot4(xw, wv.w));
                }
            } else {
                let wb = (ky * KW + kx) * C * (O / 4u) + oc0 / 4u;
                for (var ci = 0u; ci < C; ci++) {
                    acc += (x_at(xb + ci) - p.in_zp) * q8_unpack(weights[wb + ci * (O / 4u)]);
                }
            }
        }
    }
    return vec4<i32>(requantize(acc.x, oc0), requantize(acc.y, oc0 + 1u), requantize(acc.z, oc0 + 2u), requantize(acc.w, oc0 + 3u));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    let total = p.batch * OH * OW * O;
    if (word * 4u >= total) { return; }
    if (O % 4u == 0u) {
        y[word] = q8_pack(four(word * 4u));
        return;
    }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (word * 4u + k < total) { v[k] = value(word * 4u + k); }
    }
    y[word] = q8_pack(v);
}
