// The int8 requantization rules of qat_int8::quant (docs/NUMERICS.md) with 64-bit integers and
// float64 (SHADER_INT64 and SHADER_F64, where the adapter has them): the same functions, bit
// for bit, as int8/requantize.wgsl, which builds them from 32-bit words. A kernel is compiled
// with one or the other (the registry's "#native" variants; `int8_gpu::Arithmetic`).

// saturating_rounding_doubling_high_mul: (a * b + nudge) / 2^31 truncated, the nudge 2^30 or
// 1 - 2^30 by the product's sign, which is floor((a * b + 2^30) / 2^31) (round half up) for
// every product (qat_int8::quant::multiplier), with the one overflow case
// (a == b == i32::MIN) saturated.
fn q8_srdhm(a: i32, b: i32) -> i32 {
    if (a == b && a == i32(-2147483647 - 1)) { return 2147483647; }
    return i32((i64(a) * i64(b) + i64(1073741824)) >> 31u);
}

// rounding_divide_by_pot: x / 2^exponent rounded half away from zero, exponent in 0..=31.
fn q8_rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    let mask = i32((1u << exponent) - 1u);
    let remainder = x & mask;
    let threshold = (mask >> 1u) + select(0, 1, x < 0);
    return (x >> exponent) + select(0, 1, remainder > threshold);
}

// multiply_by_quantized_multiplier (double rounding).
fn q8_mbqm(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = u32(max(shift, 0));
    let right = u32(min(max(-shift, 0), 31));
    let shifted = bitcast<i32>(bitcast<u32>(x) << left);
    return q8_rounding_divide_by_pot(q8_srdhm(shifted, multiplier), right);
}

// FULLY_CONNECTED's float64 rescale, round_half_away(f64(acc) * m) saturated to i32, with m
// = mant * 2^exp rebuilt exactly in float64 (the mantissa has 53 bits).
fn q8_fc_rescale(acc: i32, mant: vec2<u32>, exp: i32) -> i32 {
    let m = ldexp(f64(mant.y) * f64(4294967296.0) + f64(mant.x), exp);
    let y = f64(acc) * m;
    let t = trunc(y);
    var r = t;
    if (abs(y - t) >= f64(0.5)) { r = t + sign(y); }
    return i32(clamp(r, f64(-2147483648.0), f64(2147483647.0)));
}

// i32::saturating_add, as the reference adds output zero points.
fn q8_add_sat(a: i32, b: i32) -> i32 {
    let s = i64(a) + i64(b);
    return i32(clamp(s, i64(-2147483647 - 1), i64(2147483647)));
}
