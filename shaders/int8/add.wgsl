// ADD of two int8 tensors of one shape, as qat_int8::quant::add::AddRescale::apply: each input
// (q - zp) << 20 brought onto the shared grid by its multiplier, summed, rescaled to the output
// (+ out_zp, saturating), clamped.
struct Params {
    count: u32, zp_a: i32, zp_b: i32, out_zp: i32,
    m_a: i32, shift_a: i32, m_b: i32, shift_b: i32,
    m_out: i32, shift_out: i32, clamp_min: i32, clamp_max: i32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

fn value(i: u32) -> i32 {
    let qa = q8_byte(a[i / 4u], i % 4u);
    let qb = q8_byte(b[i / 4u], i % 4u);
    let sa = q8_mbqm((qa - p.zp_a) << 20u, p.m_a, p.shift_a);
    let sb = q8_mbqm((qb - p.zp_b) << 20u, p.m_b, p.shift_b);
    let scaled = q8_mbqm(sa + sb, p.m_out, p.shift_out);
    return clamp(q8_add_sat(scaled, p.out_zp), p.clamp_min, p.clamp_max);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    if (word * 4u >= p.count) { return; }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (word * 4u + k < p.count) { v[k] = value(word * 4u + k); }
    }
    y[word] = q8_pack(v);
}
