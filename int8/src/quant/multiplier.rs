//! The Q31 fixed-point multiplier: QuantizeMultiplier and MultiplyByQuantizedMultiplier with
//! double rounding (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT), exactly as
//! TFLite's reference kernels and gemmlowp compute them. This is the one place the
//! requantization rounding rule lives.

/// The rounding rule a model's requantization uses (recorded in the model file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// gemmlowp/TFLite reference: SRDHM (ties toward +infinity) then rounding divide by power of
    /// two (ties away from 0).
    DoubleRounding = 1,
}

/// A real multiplier M > 0 as `multiplier * 2^(shift - 31)`, multiplier in [2^30, 2^31).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantizedMultiplier {
    /// The Q31 mantissa; `quantize_multiplier` gives one in [2^30, 2^31) (0 for M = 0).
    pub multiplier: i32,
    /// The power of two: positive shifts left, negative right.
    pub shift: i32,
}

/// QuantizeMultiplier: frexp, round the fraction to Q31, fix the 2^31 overflow, flush tiny
/// values to zero. M == 0 (or not finite/positive) gives (0, 0).
pub fn quantize_multiplier(m: f64) -> QuantizedMultiplier {
    if m.is_nan() || m <= 0.0 || !m.is_finite() {
        return QuantizedMultiplier { multiplier: 0, shift: 0 };
    }
    let (q, mut shift) = frexp(m);
    let mut q_fixed = (q * (1i64 << 31) as f64).round() as i64;
    if q_fixed == 1i64 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        shift = 0;
        q_fixed = 0;
    }
    // TFLite also caps shift at 30 for multipliers this large; such values never arise from
    // scale ratios of trained models, and we keep the plain rule.
    QuantizedMultiplier { multiplier: q_fixed as i32, shift }
}

/// frexp: m = q * 2^e with q in [0.5, 1), for finite m > 0.
pub(crate) fn frexp(m: f64) -> (f64, i32) {
    let bits = m.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    if exp_bits == 0 {
        // Subnormal: scale up first.
        let (q, e) = frexp(m * (1u64 << 54) as f64);
        return (q, e - 54);
    }
    let e = exp_bits - 1022;
    let q = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (q, e)
}

/// SaturatingRoundingDoublingHighMul: (a * b + nudge) / 2^31 truncated toward zero, the nudge
/// 2^30 for a non-negative product and 1 - 2^30 for a negative one (gemmlowp's code), saturating
/// the single overflow case a == b == i32::MIN. For every product this equals
/// floor((a * b + 2^30) / 2^31): round to nearest with ties toward +infinity (-0.5 -> 0,
/// 0.5 -> 1), not away from zero; the GPU kernels compute it in that form
/// (shaders/int8/requantize*.wgsl), and a test checks the two forms agree.
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // i64 division truncates toward zero, as C++'s does.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// RoundingDivideByPOT: x / 2^exponent rounded half away from zero (arithmetic shift + fix-up).
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    debug_assert!((0..=31).contains(&exponent));
    let mask: i32 = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i32;
    (x >> exponent) + (remainder > threshold) as i32
}

/// MultiplyByQuantizedMultiplier with double rounding (TFLite reference):
/// SRDHM(x * 2^left, multiplier), then RoundingDivideByPOT by `right`.
/// The left shift wraps like C++'s on overflow; callers keep |x| * 2^left within i32 (for conv,
/// shift <= 0 in practice, so left == 0).
pub fn multiply_by_quantized_multiplier(x: i32, qm: QuantizedMultiplier) -> i32 {
    let left = qm.shift.max(0);
    let right = (-qm.shift).max(0);
    let shifted = x.wrapping_mul(1i32.wrapping_shl(left as u32));
    rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, qm.multiplier), right.min(31))
}
