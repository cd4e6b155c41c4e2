// MEAN over height and width on int8, as qat_int8::interpreter::mean_hw with
// qat_int8::quant::mean::MeanRescale: MBQM(sum(x) - in_zp * n, M', shift) + out_zp (saturating),
// clamped.
struct Params {
    batch: u32, n: u32, c: u32, in_zp: i32,
    out_zp: i32, clamp_min: i32, clamp_max: i32, multiplier: i32,
    shift: i32, _pad0: u32, _pad1: u32, _pad2: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

fn x_at(i: u32) -> i32 { return q8_byte(x[i / 4u], i % 4u); }

fn value(idx: u32) -> i32 {
    let ch = idx % p.c;
    let b = idx / p.c;
    var sum = 0;
    for (var i = 0u; i < p.n; i++) {
        sum += x_at((b * p.n + i) * p.c + ch);
    }
    let scaled = q8_mbqm(sum - p.in_zp * i32(p.n), p.multiplier, p.shift);
    return clamp(q8_add_sat(scaled, p.out_zp), p.clamp_min, p.clamp_max);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    let total = p.batch * p.c;
    if (word * 4u >= total) { return; }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (word * 4u + k < total) { v[k] = value(word * 4u + k); }
    }
    y[word] = q8_pack(v);
}
