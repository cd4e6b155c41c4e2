// QUANTIZE of a batch of u8 images (NHWC, packed four per u32 like the data sets): pixel p of
// channel c becomes lut[c * 256 + p], the table made on the host by the int8 crate's own rule
// (qat_int8::interpreter::quantize_image), so the GPU's float division cannot differ from it.
struct Params { count: u32, channels: u32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> images: array<u32>;
@group(0) @binding(2) var<storage, read> lut: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    if (word * 4u >= p.count) { return; }
    var v = vec4<i32>(0);
    let pixels = images[word];
    for (var k = 0u; k < 4u; k++) {
        let i = word * 4u + k;
        if (i < p.count) { v[k] = lut[(i % p.channels) * 256u + ((pixels >> (8u * k)) & 255u)]; }
    }
    y[word] = q8_pack(v);
}
