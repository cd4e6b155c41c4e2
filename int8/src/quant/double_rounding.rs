//! LiteRT's double rounding seen on the real line, so that QAT can simulate it: where the
//! requantization of `quant::multiplier` (SRDHM, then a rounding shift) lands a value that a
//! single rounding would not. The QAT forward fake-quantizes conv and depthwise outputs with
//! this rule (shaders/fake_quant/requantized.wgsl, its margins from
//! shaders/fake_quant/double_rounding_margin.wgsl); this is the one place it is stated.
//!
//! With M = multiplier * 2^(shift - 31) and right = max(-shift, 0), MBQM(acc) rounds
//! r = acc * M twice: SRDHM rounds r * 2^right to an integer (a multiple of 2^-right of r),
//! then RoundingDivideByPOT rounds that to an integer, ties away from zero. Where right >= 1, the
//! first rounding moves every |r| whose fraction lies in [1/2 - 2^-(right+1), 1/2) onto the half,
//! and the second then rounds it away from zero. So, writing margin = 2^-(right+1),
//!
//!   MBQM(acc) = sign(r) * floor(|r| + 1/2 + margin)
//!
//! for every accumulator except where a rounding meets an exact tie, which a real-valued forward
//! never sees (`round_with_margin`; tests/fixed_point.rs checks it against MBQM on random
//! accumulators and multipliers, exactly in i128). Where right == 0 (M >= 1/2) there is one
//! rounding and the margin is 0. As M lies in [2^-(right+1), 2^-right), the margin is between
//! M/2 and M: the step of r from one accumulator to the next. Large multipliers (per-tensor
//! weight scales, small output ranges) leave few bits between the two roundings and wide
//! margins; a rounding that single rounding would send down goes up in up to that fraction of
//! outputs.

use crate::quant::multiplier::{frexp, QuantizedMultiplier};

/// The margin by which double rounding widens the tie of a requantization with `qm`:
/// 2^-(right+1) for a right shift of right >= 1, else 0.
pub fn margin(qm: QuantizedMultiplier) -> f64 {
    let right = -qm.shift;
    if qm.multiplier == 0 || right < 1 {
        0.0
    } else {
        2f64.powi(-(right + 1))
    }
}

/// `r` rounded to an integer as double rounding with `margin` does: sign(r) * floor(|r| + 1/2 +
/// margin) (half away from zero for margin 0).
pub fn round_with_margin(r: f64, margin: f64) -> f64 {
    r.signum() * (r.abs() + 0.5 + margin).floor()
}

/// The margin of a conv or depthwise output channel from the f32 scales of its input, weights
/// and output, in the f32 operations the QAT kernel uses: M = s_in * s_w / s_out = q * 2^e with
/// q in [0.5, 1); the margin is 2^(e-1) where e <= -1 (a right shift of -e), else 0.
///
/// The exporter forms M in f64 from the same f32 scales (`quantize_multiplier`), so the two
/// agree except where M lies within about 2^-23 (relative) of a power of two, where the f32
/// product may round across it and the margin is off by a factor 2 for that channel.
pub fn margin_of_scales(s_in: f32, s_w: f32, s_out: f32) -> f32 {
    let m = s_in * s_w / s_out;
    if m.is_nan() || m <= 0.0 || !m.is_finite() {
        return 0.0;
    }
    let e = exponent(m);
    if e <= -1 {
        2f32.powi(e - 1)
    } else {
        0.0
    }
}

/// e with m = q * 2^e, q in [0.5, 1), for finite m > 0: frexp's exponent (an f32 is exact as an
/// f64, so `multiplier`'s frexp serves).
fn exponent(m: f32) -> i32 {
    frexp(m as f64).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponent_is_frexps() {
        assert_eq!(exponent(1.0), 1);
        assert_eq!(exponent(0.5), 0);
        assert_eq!(exponent(0.75), 0);
        assert_eq!(exponent(0.3), -1);
        assert_eq!(exponent(0.25), -1);
        assert_eq!(exponent(f32::MIN_POSITIVE), -125);
        assert_eq!(exponent(f32::from_bits(1)), -148);
    }

    #[test]
    fn margins_of_worked_multipliers() {
        // M = 0.3 = 0.6 * 2^-1: one bit between the roundings, margin 1/4.
        assert_eq!(margin_of_scales(0.3, 1.0, 1.0), 0.25);
        assert_eq!(margin(crate::quant::multiplier::quantize_multiplier(0.3)), 0.25);
        // M = 0.6: no right shift, one rounding.
        assert_eq!(margin_of_scales(0.6, 1.0, 1.0), 0.0);
        assert_eq!(margin(crate::quant::multiplier::quantize_multiplier(0.6)), 0.0);
        // M = 0.01 = 0.64 * 2^-6: margin 2^-7.
        assert_eq!(margin_of_scales(0.01, 1.0, 1.0), 2f32.powi(-7));
        assert_eq!(margin_of_scales(0.0, 1.0, 1.0), 0.0);
    }

    #[test]
    fn rounding_with_a_margin() {
        // r = 0.45 with one bit between the roundings: SRDHM gives 0.5, then away from zero: 1.
        assert_eq!(round_with_margin(0.45, 0.25), 1.0);
        assert_eq!(round_with_margin(-0.45, 0.25), -1.0);
        assert_eq!(round_with_margin(0.2, 0.25), 0.0);
        assert_eq!(round_with_margin(0.45, 0.0), 0.0);
        assert_eq!(round_with_margin(2.5, 0.0), 3.0);
    }
}
