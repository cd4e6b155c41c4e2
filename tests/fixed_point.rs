//! GPU-free: the Q31 fixed-point functions on worked examples, the saturation and
//! negative-rounding edge cases, an exact i128 model of the double-rounding rule, and the
//! margin form of double rounding that QAT simulates (`quant::double_rounding`).

use proptest::prelude::*;
use qat_int8::quant::double_rounding::{margin, margin_of_scales};
use qat_int8::quant::multiplier::*;

#[test]
fn quantize_multiplier_worked_examples() {
    // 0.5 = 0.5 * 2^0 -> (2^30, 0)
    assert_eq!(quantize_multiplier(0.5), QuantizedMultiplier { multiplier: 1 << 30, shift: 0 });
    // 0.75 * 2^-3
    assert_eq!(quantize_multiplier(0.09375), QuantizedMultiplier { multiplier: 1610612736, shift: -3 });
    // 1.0 = 0.5 * 2^1
    assert_eq!(quantize_multiplier(1.0), QuantizedMultiplier { multiplier: 1 << 30, shift: 1 });
    // A fraction that rounds up to 2^31 is renormalised: q = 1 - 2^-40 -> 2^31 -> (2^30, shift+1).
    let m = (1.0 - 2f64.powi(-40)) * 0.25; // q = 1 - 2^-40, exponent -2
    assert_eq!(quantize_multiplier(m), QuantizedMultiplier { multiplier: 1 << 30, shift: -1 });
    // Tiny multipliers flush to zero.
    assert_eq!(quantize_multiplier(1e-12), QuantizedMultiplier { multiplier: 0, shift: 0 });
    assert_eq!(quantize_multiplier(0.0), QuantizedMultiplier { multiplier: 0, shift: 0 });
    // A typical conv ratio: s_in * s_w / s_out.
    let qm = quantize_multiplier(0.003921568859368563 * 0.0021 / 0.05);
    assert!((1 << 30..=i32::MAX).contains(&qm.multiplier));
    let back = qm.multiplier as f64 * 2f64.powi(qm.shift - 31);
    assert!((back / (0.003921568859368563 * 0.0021 / 0.05) - 1.0).abs() < 1e-9);
}

#[test]
fn srdhm_saturates_the_one_overflow_case() {
    assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
    assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MAX), -i32::MAX);
    assert_eq!(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
}

#[test]
fn srdhm_rounds_ties_upward() {
    // The nudge (1 << 30, or 1 - (1 << 30) below zero) with truncating division rounds to
    // nearest with ties toward +infinity: +0.5 -> 1, -0.5 -> 0, -1.5 -> -1.
    assert_eq!(saturating_rounding_doubling_high_mul(1 << 15, 1 << 15), 1);
    assert_eq!(saturating_rounding_doubling_high_mul(-(1 << 15), 1 << 15), 0);
    assert_eq!(saturating_rounding_doubling_high_mul(-3 << 14, 1 << 16), -1);
    // Just below half rounds to 0 either way.
    assert_eq!(saturating_rounding_doubling_high_mul((1 << 15) - 1, 1 << 15), 0);
    assert_eq!(saturating_rounding_doubling_high_mul(-((1 << 15) - 1), 1 << 15), 0);
}

#[test]
fn rounding_divide_by_pot_edge_cases() {
    assert_eq!(rounding_divide_by_pot(5, 1), 3); // 2.5 -> 3
    assert_eq!(rounding_divide_by_pot(-5, 1), -3); // -2.5 -> -3 (away from zero)
    assert_eq!(rounding_divide_by_pot(-3, 1), -2); // -1.5 -> -2
    assert_eq!(rounding_divide_by_pot(-1, 1), -1); // -0.5 -> -1
    assert_eq!(rounding_divide_by_pot(-6, 2), -2); // -1.5 -> -2
    assert_eq!(rounding_divide_by_pot(-5, 2), -1); // -1.25 -> -1
    assert_eq!(rounding_divide_by_pot(7, 0), 7);
    assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
    assert_eq!(rounding_divide_by_pot(i32::MAX, 31), 1);
}

#[test]
fn multiply_by_quantized_multiplier_examples() {
    let half = QuantizedMultiplier { multiplier: 1 << 30, shift: 0 };
    assert_eq!(multiply_by_quantized_multiplier(100, half), 50);
    assert_eq!(multiply_by_quantized_multiplier(101, half), 51); // 50.5 -> 51
    assert_eq!(multiply_by_quantized_multiplier(-101, half), -50); // -50.5 -> -50 (SRDHM tie)
                                                                   // Positive shift: x * 2 * 0.5.
    let one = QuantizedMultiplier { multiplier: 1 << 30, shift: 1 };
    assert_eq!(multiply_by_quantized_multiplier(-7, one), -7);
    // Double rounding differs from single rounding here: 0.75 * 2^-2 * 3 = 0.5625.
    let qm = QuantizedMultiplier { multiplier: 1610612736, shift: -2 };
    assert_eq!(multiply_by_quantized_multiplier(3, qm), 1);
    // Where double rounding differs from single rounding: x = 1, M = 0.75 * 2^-1, exact 0.375:
    // SRDHM(1, 0.75) = 1, then 1 / 2 = 0.5 -> 1; single rounding gives 0.
    let qm = QuantizedMultiplier { multiplier: 1610612736, shift: -1 };
    assert_eq!(multiply_by_quantized_multiplier(1, qm), 1);
    // Negative: RoundingDivideByPOT rounds -0.5 away from zero: SRDHM(-1, 0.75) = -1 -> -1.
    assert_eq!(multiply_by_quantized_multiplier(-1, qm), -1);
}

/// round half away from zero of n / 2^k, exactly, in i128.
fn round_away_pow2(n: i128, k: u32) -> i128 {
    let d = 1i128 << k;
    let q = n.abs() / d;
    let r = n.abs() % d;
    let q = if 2 * r >= d { q + 1 } else { q };
    if n < 0 {
        -q
    } else {
        q
    }
}

proptest! {
    /// The form the GPU kernels compute SRDHM in (shaders/int8/requantize*.wgsl).
    #[test]
    fn srdhm_is_the_floor_of_the_product_plus_half(a in any::<i32>(), b in any::<i32>()) {
        prop_assume!(!(a == i32::MIN && b == i32::MIN));
        let floor = (a as i64 * b as i64 + (1i64 << 30)) >> 31;
        prop_assert_eq!(saturating_rounding_doubling_high_mul(a, b) as i64, floor);
    }

    #[test]
    fn double_rounding_matches_an_exact_model(x in -(1i32 << 24)..(1i32 << 24), m in (1i32 << 30)..i32::MAX, shift in -20i32..=0) {
        let qm = QuantizedMultiplier { multiplier: m, shift };
        // SRDHM: nearest, ties toward +infinity.
        let first = (x as i128 * m as i128 + (1i128 << 30)).div_euclid(1i128 << 31);
        let expect = round_away_pow2(first, (-shift) as u32);
        prop_assert_eq!(multiply_by_quantized_multiplier(x, qm) as i128, expect);
    }

    #[test]
    fn quantize_multiplier_is_within_half_an_lsb(m in 1e-6f64..0.99) {
        let qm = quantize_multiplier(m);
        let back = qm.multiplier as f64 * 2f64.powi(qm.shift - 31);
        prop_assert!((back - m).abs() <= 2f64.powi(qm.shift - 32) * 1.0000001);
        prop_assert!(qm.multiplier >= 1 << 30);
    }
}

proptest! {
    /// MBQM(x) = sign(r) * floor(|r| + 1/2 + margin) for r = x * M, exactly (i128, all in units
    /// of 2^-(31 + right)), for every accumulator except where SRDHM meets an exact tie.
    #[test]
    fn double_rounding_is_one_rounding_with_a_margin(x in -(1i32 << 24)..(1i32 << 24), m in (1i32 << 30)..i32::MAX, shift in -20i32..=0) {
        let qm = QuantizedMultiplier { multiplier: m, shift };
        let right = (-shift) as u32;
        let d = 31 + right;
        let p = x as i128 * m as i128;
        // The margin in units of 2^-d (a power of two, exact in f64).
        let offset = (margin(qm) * 2f64.powi(d as i32)) as i128;
        prop_assert_eq!(offset, if right >= 1 { 1i128 << 30 } else { 0 });
        let magnitude = (p.abs() + (1i128 << (d - 1)) + offset) >> d;
        let by_margin = if p < 0 { -magnitude } else { magnitude };
        let srdhm_tie = p.abs() % (1i128 << 31) == 1i128 << 30;
        prop_assert!(multiply_by_quantized_multiplier(x, qm) as i128 == by_margin || srdhm_tie);
    }

    /// The f32 margin of the QAT kernels, from the scales, is the exporter's (the margin of
    /// QuantizeMultiplier of the f64 product) except within 2^-20 of a power of two.
    #[test]
    fn the_margin_from_scales_is_the_exporters(s_in in 1e-4f32..0.1, s_w in 1e-5f32..0.1, s_out in 1e-3f32..1.0) {
        let m = s_in as f64 * s_w as f64 / s_out as f64;
        let near_power_of_two = (m.log2() - m.log2().round()).abs() < 2f64.powi(-20);
        prop_assume!(!near_power_of_two);
        prop_assert_eq!(margin_of_scales(s_in, s_w, s_out) as f64, margin(quantize_multiplier(m)));
    }
}
