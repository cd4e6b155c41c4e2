// MAX_POOL_2D (windows of KH x KW at a stride, over their in-bounds taps: PAD_TOP rows and
// PAD_LEFT columns of padding before the input are never the maximum) on an int8 NHWC batch, as
// qat_int8::ops::max_pool. One lane per output word. The shape is fixed per pipeline
// (override constants); with C % 4 == 0 a word is four channels of one pixel, read and
// compared a word at a time.
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
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

fn x_at(i: u32) -> i32 { return q8_byte(x[i / 4u], i % 4u); }

fn value(idx: u32) -> i32 {
    let ch = idx % C;
    let pix = idx / C;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var m = -128;
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            m = max(m, x_at(((b * H + u32(iy)) * W + u32(ix)) * C + ch));
        }
    }
    return m;
}

fn four(idx: u32) -> vec4<i32> {
    let ch = idx % C;
    let pix = idx / C;
    let ox = pix % OW;
    let oy = (pix / OW) % OH;
    let b = pix / (OW * OH);
    var m = vec4<i32>(-128);
    for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < KW; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            m = max(m, q8_unpack(x[(((b * H + u32(iy)) * W + u32(ix)) * C + ch) / 4u]));
        }
    }
    return m;
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
