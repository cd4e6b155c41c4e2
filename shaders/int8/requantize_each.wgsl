// Applies both integer rescale rules of int8/requantize.wgsl to each of `count` values: the
// fixed-point multiplier with double rounding (conv, depthwise, add, mean) and FULLY_CONNECTED's
// float64 rescale. The kernel the WGSL rules are tested through against the int8 crate's.
struct Params { count: u32, _pad0: u32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> acc: array<i32>;
// Per value: fixed-point multiplier, shift.
@group(0) @binding(2) var<storage, read> fixed: array<vec2<i32>>;
// Per value: the double's 53-bit mantissa (lo, hi) and its exponent (as u32 bits), padding.
@group(0) @binding(3) var<storage, read> double: array<vec4<u32>>;
// Per value: the fixed-point result, the float64-rule result.
@group(0) @binding(4) var<storage, read_write> out: array<vec2<i32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.count) { return; }
    let m = fixed[i];
    let d = double[i];
    out[i] = vec2<i32>(q8_mbqm(acc[i], m.x, m.y), q8_fc_rescale(acc[i], d.xy, bitcast<i32>(d.z)));
}
