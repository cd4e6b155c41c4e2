// FULLY_CONNECTED on int8, as qat_int8::interpreter::fully_connected: per output
// acc = bias[o] + sum_i w[o, i] * (x[i] - in_zp), then the float64 rescale
// round_half_away(f64(acc) * m) (emulated exactly: q8_fc_rescale) + out_zp (saturating),
// clamped. One lane per output word. The sizes are fixed per pipeline (override constants);
// with INPUTS % 4 == 0 every image's inputs and every weight row start on a word, and the dot
// product reads a word of inputs and a word of weights at a time.
override INPUTS: u32;
override UNITS: u32;

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
    let o = idx % UNITS;
    let b = idx / UNITS;
    var acc = bias[o];
    if (INPUTS % 4u == 0u) {
        var sum = vec4<i32>(0);
        let xb = b * (INPUTS / 4u);
        let wb = o * (INPUTS / 4u);
        let zp = vec4<i32>(p.in_zp);
        for (var i = 0u; i < INPUTS / 4u; i++) {
            sum += q8_unpack(weights[wb + i]) * (q8_unpack(x[xb + i]) - zp);
        }
        acc += sum.x + sum.y + sum.z + sum.w;
    } else {
        for (var i = 0u; i < INPUTS; i++) {
            acc += w_at(o * INPUTS + i) * (x_at(b * INPUTS + i) - p.in_zp);
        }
    }
    let scaled = q8_fc_rescale(acc, vec2<u32>(p.m_lo, p.m_hi), p.m_exp);
    return clamp(q8_add_sat(scaled, p.out_zp), p.clamp_min, p.clamp_max);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    let total = p.batch * UNITS;
    if (word * 4u >= total) { return; }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (word * 4u + k < total) { v[k] = value(word * 4u + k); }
    }
    y[word] = q8_pack(v);
}
