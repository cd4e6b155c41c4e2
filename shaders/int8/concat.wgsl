// CONCATENATION of two int8 NHWC tensors on the channel axis (inputs and output share one
// scale: a copy), as qat_int8::interpreter::concat; more inputs chain pairs.
struct Params { pixels: u32, c1: u32, c2: u32, _pad: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

fn value(i: u32) -> i32 {
    let c = p.c1 + p.c2;
    let ch = i % c;
    let px = i / c;
    if (ch < p.c1) {
        let j = px * p.c1 + ch;
        return q8_byte(a[j / 4u], j % 4u);
    }
    let j = px * p.c2 + ch - p.c1;
    return q8_byte(b[j / 4u], j % 4u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    let total = p.pixels * (p.c1 + p.c2);
    if (word * 4u >= total) { return; }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (word * 4u + k < total) { v[k] = value(word * 4u + k); }
    }
    y[word] = q8_pack(v);
}
