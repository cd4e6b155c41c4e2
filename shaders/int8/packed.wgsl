// Packed int8 tensors: four values per u32, value i in byte i % 4 of word i / 4.

// Byte k (0..3) of `word` as a signed value.
fn q8_byte(word: u32, k: u32) -> i32 {
    return bitcast<i32>(word << (24u - 8u * k)) >> 24u;
}

// Four int8 values (low byte first) as one word.
fn q8_pack(v: vec4<i32>) -> u32 {
    let b = bitcast<vec4<u32>>(v) & vec4<u32>(255u);
    return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
}

// The four int8 values of `word`, low byte first.
fn q8_unpack(word: u32) -> vec4<i32> {
    return vec4<i32>(bitcast<i32>(word << 24u), bitcast<i32>(word << 16u), bitcast<i32>(word << 8u), bitcast<i32>(word)) >> vec4<u32>(24u);
}
