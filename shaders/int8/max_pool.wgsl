// MAX_POOL_2D ("valid" windows of kh x kw, stride) on an int8 NHWC batch, as
// qat_int8::interpreter::max_pool. One lane per output word.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

fn x_at(i: u32) -> i32 { return q8_byte(x[i / 4u], i % 4u); }

fn value(idx: u32) -> i32 {
    let ch = idx % p.c;
    let pix = idx / p.c;
    let ox = pix % p.ow;
    let oy = (pix / p.ow) % p.oh;
    let b = pix / (p.ow * p.oh);
    var m = -128;
    for (var ky = 0u; ky < p.kh; ky++) {
        for (var kx = 0u; kx < p.kw; kx++) {
            m = max(m, x_at(((b * p.h + oy * p.stride + ky) * p.w + ox * p.stride + kx) * p.c + ch));
        }
    }
    return m;
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
