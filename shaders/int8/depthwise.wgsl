// DEPTHWISE_CONV_2D (one filter per channel) on an int8 NHWC batch, as
// qat_int8::interpreter::depthwise_conv2d: acc = bias[ch] + sum over in-bounds taps of
// w[ky, kx, ch] * (x - in_zp), then MBQM + out_zp, clamped. One lane per output word.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<i32>;
@group(0) @binding(4) var<storage, read> multipliers: array<vec2<i32>>;
@group(0) @binding(5) var<storage, read_write> y: array<u32>;

fn x_at(i: u32) -> i32 { return q8_byte(x[i / 4u], i % 4u); }
fn w_at(i: u32) -> i32 { return q8_byte(weights[i / 4u], i % 4u); }

fn value(idx: u32) -> i32 {
    let ch = idx % p.c;
    let pix = idx / p.c;
    let ox = pix % p.ow;
    let oy = (pix / p.ow) % p.oh;
    let b = pix / (p.ow * p.oh);
    var acc = bias[ch];
    for (var ky = 0u; ky < p.kh; ky++) {
        let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
        if (iy < 0 || iy >= i32(p.h)) { continue; }
        for (var kx = 0u; kx < p.kw; kx++) {
            let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
            if (ix < 0 || ix >= i32(p.w)) { continue; }
            acc += w_at((ky * p.kw + kx) * p.c + ch) * (x_at(((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch) - p.in_zp);
        }
    }
    let m = multipliers[ch];
    return clamp(q8_add_sat(q8_mbqm(acc, m.x, m.y), p.out_zp), p.clamp_min, p.clamp_max);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    let total = p.batch * p.oh * p.ow * p.c;
    if (word * 4u >= total) { return; }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (word * 4u + k < total) { v[k] = value(word * 4u + k); }
    }
    y[word] = q8_pack(v);
}
