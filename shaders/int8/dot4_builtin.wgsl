// q8_dot4: the dot product of two words of four int8 values, WGSL's dot4I8Packed (the
// packed_4x8_integer_dot_product language feature: a DP4a instruction where the hardware has
// one). The same values as int8/dot4_unpacked.wgsl.
fn q8_dot4(a: u32, b: u32) -> i32 {
    return dot4I8Packed(a, b);
}
