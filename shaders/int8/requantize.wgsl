// The int8 requantization rules of qat_int8::quant (docs/NUMERICS.md), in 32-bit WGSL: WGSL
// core has no 64-bit integers, so 64- and 96-bit products are built from 16-bit limbs.
// Each function names the Rust function it mirrors, bit for bit.

// a * b for u32 as a 64-bit (lo, hi) pair.
fn q8_mul_u32(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    return vec2<u32>((p00 & 0xffffu) | (mid << 16u), p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}

// a * b for i32 as a two's-complement 64-bit (lo, hi) pair.
fn q8_mul_i32(a: i32, b: i32) -> vec2<u32> {
    let ua = bitcast<u32>(a);
    let ub = bitcast<u32>(b);
    var r = q8_mul_u32(ua, ub);
    if (a < 0) { r.y = r.y - ub; }
    if (b < 0) { r.y = r.y - ua; }
    return r;
}

fn q8_add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

// saturating_rounding_doubling_high_mul: (a * b + nudge) / 2^31 truncated, the nudge 2^30 or
// 1 - 2^30 by the product's sign, which is floor((a * b + 2^30) / 2^31) (round half up) for
// every product (qat_int8::quant::multiplier), with the one overflow case
// (a == b == i32::MIN) saturated. The floor is the arithmetic shift: bits 31..62 of the sum.
fn q8_srdhm(a: i32, b: i32) -> i32 {
    if (a == b && a == i32(-2147483647 - 1)) { return 2147483647; }
    let s = q8_add64(q8_mul_i32(a, b), vec2<u32>(0x40000000u, 0u));
    return bitcast<i32>((s.x >> 31u) | (s.y << 1u));
}

// rounding_divide_by_pot: x / 2^exponent rounded half away from zero, exponent in 0..=31.
fn q8_rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    let mask = i32((1u << exponent) - 1u);
    let remainder = x & mask;
    let threshold = (mask >> 1u) + select(0, 1, x < 0);
    return (x >> exponent) + select(0, 1, remainder > threshold);
}

// multiply_by_quantized_multiplier (double rounding): SRDHM(x * 2^left, multiplier), then
// rounding divide by 2^right, the left shift wrapping as in C++.
fn q8_mbqm(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = u32(max(shift, 0));
    let right = u32(min(max(-shift, 0), 31));
    let shifted = bitcast<i32>(bitcast<u32>(x) << left);
    return q8_rounding_divide_by_pot(q8_srdhm(shifted, multiplier), right);
}

// FULLY_CONNECTED's float64 rescale, round_half_away(f64(acc) * m) saturated to i32, where the
// positive double m = mant * 2^exp (mant: 53-bit integer as (lo, hi), exp: i32) is made on the
// host. The double product is exact up to its rounding to 53 significant bits (ties to even),
// which is done here on the exact 84-bit product; then the rounding to an integer.
fn q8_fc_rescale(acc: i32, mant: vec2<u32>, exp: i32) -> i32 {
    if (acc == 0) { return 0; }
    let a = select(bitcast<u32>(acc), 0u - bitcast<u32>(acc), acc < 0);
    // p = a * (mant.y * 2^32 + mant.x), three words w0, w1, w2.
    let lo = q8_mul_u32(a, mant.x);
    let hi = q8_mul_u32(a, mant.y);
    let w0 = lo.x;
    let w1 = lo.y + hi.x;
    let w2 = hi.y + select(0u, 1u, w1 < lo.y);
    // Bit length of p.
    var bits: u32;
    if (w2 != 0u) { bits = 96u - countLeadingZeros(w2); } else if (w1 != 0u) { bits = 64u - countLeadingZeros(w1); } else { bits = 32u - countLeadingZeros(w0); }
    // Round to 53 significant bits: v = p >> k (k = bits - 53), ties to even.
    var v = vec2<u32>(w0, w1);
    var e = exp;
    if (bits > 53u) {
        let k = bits - 53u; // 1..=31 (a < 2^31, mant < 2^53)
        let dropped = w0 & ((1u << k) - 1u);
        let half = 1u << (k - 1u);
        v = vec2<u32>((w0 >> k) | (w1 << (32u - k)), (w1 >> k) | (w2 << (32u - k)));
        let odd = (v.x & 1u) == 1u;
        if (dropped > half || (dropped == half && odd)) { v = q8_add64(v, vec2<u32>(1u, 0u)); }
        e = e + i32(k);
    }
    // y = v * 2^e; round half away from zero (on the magnitude), then the sign.
    if (e >= 0) {
        // |y| >= 2^52 here at the least: saturate.
        return select(2147483647, i32(-2147483647 - 1), acc < 0);
    }
    let s = u32(-e);
    if (s > 60u) { return 0; }
    var q: vec2<u32>;
    var rem_half_or_more: bool;
    if (s >= 32u) {
        let t = s - 32u;
        q = vec2<u32>(select(v.y, v.y >> t, t > 0u), 0u);
        let rem_hi = select(0u, v.y & ((1u << t) - 1u), t > 0u);
        // The remainder is (rem_hi, v.x) over 2^s; half is 2^(s - 1).
        if (t == 0u) { rem_half_or_more = v.x >= 0x80000000u; } else { rem_half_or_more = rem_hi >= (1u << (t - 1u)); }
    } else {
        q = vec2<u32>(select(v.x, (v.x >> s) | (v.y << (32u - s)), s > 0u), select(v.y, v.y >> s, s > 0u));
        rem_half_or_more = s > 0u && (v.x & ((1u << s) - 1u)) >= (1u << (s - 1u));
    }
    if (rem_half_or_more) { q = q8_add64(q, vec2<u32>(1u, 0u)); }
    if (q.y != 0u || q.x > 0x7fffffffu) {
        if (acc < 0 && q.y == 0u && q.x == 0x80000000u) { return i32(-2147483647 - 1); }
        return select(2147483647, i32(-2147483647 - 1), acc < 0);
    }
    return select(i32(q.x), -i32(q.x), acc < 0);
}

// i32::saturating_add, as the reference adds output zero points.
fn q8_add_sat(a: i32, b: i32) -> i32 {
    if (b > 0 && a > 2147483647 - b) { return 2147483647; }
    if (b < 0 && a < i32(-2147483647 - 1) - b) { return i32(-2147483647 - 1); }
    return a + b;
}
