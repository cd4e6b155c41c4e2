// FULLY_CONNECTED on int8, as qat_int8::interpreter::fully_connected: per output
// acc = bias[o] + sum_i w[o, i] * (x[i] - in_zp), then the float64 rescale
// round_half_away(f64(acc) * m) (emulated exactly: q8_fc_rescale) + out_zp, clamped.
struct Params {
    batch: u32, inputs: u32, units: u32, in_zp: i32,
    out_zp: i32, clamp_min: i32, clamp_max: i32, m_exp: i32,
    m_lo: u32, m_hi: u32, _pad0: u32, _pad1: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<i32>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;

fn x_at(i: u32) -> i32 { return q8_byte(x[i / 4u], i % 4u); }
fn w_at(i: u32) -> i32 { return q8_byte(weights[i / 4u], i % 4u); }

fn value(idx: u32) -> i32 {
    let o = idx % p.units;
    let b = idx / p.units;
    var acc = bias[o];
    for (var i = 0u; i < p.inputs; i++) {
        acc += w_at(o * p.inputs + i) * (x_at(b * p.inputs + i) - p.in_zp);
    }
    let scaled = q8_fc_rescale(acc, vec2<u32>(p.m_lo, p.m_hi), p.m_exp);
    return clamp(q8_add_sat(scaled, p.out_zp), p.clamp_min, p.clamp_max);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    let total = p.batch * p.units;
    if (word * 4u >= total) { return; }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (word * 4u + k < total) { v[k] = value(word * 4u + k); }
    }
    y[word] = q8_pack(v);
}
