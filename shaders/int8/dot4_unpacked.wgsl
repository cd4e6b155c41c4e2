// q8_dot4: the dot product of two words of four int8 values, by unpacking (every adapter). The
// other definition, int8/dot4_builtin.wgsl, is WGSL's dot4I8Packed; a kernel is compiled with one.
fn q8_dot4(a: u32, b: u32) -> i32 {
    let s = vec4<u32>(24u, 16u, 8u, 0u);
    let p = (bitcast<vec4<i32>>(vec4<u32>(a) << s) >> vec4<u32>(24u)) * (bitcast<vec4<i32>>(vec4<u32>(b) << s) >> vec4<u32>(24u));
    return p.x + p.y + p.z + p.w;
}
