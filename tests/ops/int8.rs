//! The WGSL integer rescale rules (shaders/int8/requantize.wgsl, 32-bit limbs) against the int8
//! crate's, exactly: random accumulators with multipliers whose shifts are negative, zero and
//! positive; the saturating corner of SRDHM (i32::MIN * i32::MIN) and ties of both roundings;
//! FULLY_CONNECTED's float64 rescale on random and tie-making multipliers.

use crate::prelude::*;
use qat_int8::quant::multiplier::{quantize_multiplier, QuantizedMultiplier};
use wgpu_qat::int8_gpu::arithmetic::Arithmetic;
use wgpu_qat::int8_gpu::requantize::{twin::requantize_each, DoubleMultiplier, RequantizeEachParams};

/// Runs the kernel on the cases with each arithmetic the device has (32-bit words always; i64
/// and f64 where present) and compares with the twin.
fn check(gpu: &wgpu_qat::gpu::Gpu, acc: &[i32], fixed: &[QuantizedMultiplier], double: &[f64]) {
    for arithmetic in [Arithmetic::Words, Arithmetic::Native] {
        if arithmetic.available(gpu) {
            check_with(gpu, arithmetic, acc, fixed, double);
        } else {
            eprintln!("SKIP: {arithmetic:?} arithmetic: the device lacks SHADER_INT64 / SHADER_F64");
        }
    }
}

fn check_with(
    gpu: &wgpu_qat::gpu::Gpu,
    arithmetic: Arithmetic,
    acc: &[i32],
    fixed: &[QuantizedMultiplier],
    double: &[f64],
) {
    let fixed_words: Vec<i32> = fixed.iter().flat_map(|q| [q.multiplier, q.shift]).collect();
    let double_words: Vec<u32> = double.iter().flat_map(|&m| DoubleMultiplier::new(m).words()).collect();
    let n = acc.len();
    let out = gpu.storage("out", 2 * n);
    run(
        gpu,
        RequantizeEachParams::dispatch(
            gpu,
            arithmetic,
            n,
            &gpu.upload("acc", acc),
            &gpu.upload("fixed", &fixed_words),
            &gpu.upload("double", &double_words),
            &out,
        )
        .unwrap(),
    );
    let got: Vec<i32> = gpu.read(&out, 2 * n).unwrap();
    let want = requantize_each(acc, fixed, double);
    for i in 0..n {
        assert_eq!(
            [got[2 * i], got[2 * i + 1]],
            want[i],
            "{arithmetic:?}: acc {} fixed {:?} double {:e}: GPU [mbqm, fc] vs int8 crate",
            acc[i],
            fixed[i],
            double[i]
        );
    }
}

#[test]
fn fixed_point_and_float64_rescales_match_the_int8_crate_on_random_values() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(81);
    let n = 20_000;
    let mut acc = Vec::new();
    let mut fixed = Vec::new();
    let mut double = Vec::new();
    for i in 0..n {
        // Accumulators of every magnitude, both signs.
        let bits = rng.below(32) as u32;
        let mag = (rng.next_u64() as u32) >> (31 - bits.min(31));
        let a = if rng.below(2) == 0 { mag as i32 } else { -(mag as i32) };
        acc.push(if i % 97 == 0 { i32::MIN } else { a });
        // Multipliers 2^-40 .. 2^8: shifts negative, zero and positive (left shifts only on
        // small accumulators, as the rule's callers keep them).
        let m = 2f64.powf(rng.uniform(-40.0, 8.0) as f64) * (1.0 + rng.next_f32() as f64);
        let q = quantize_multiplier(m);
        if q.shift > 0 {
            let last = acc.last_mut().unwrap();
            *last = (*last >> (q.shift + 1)).max(-(1 << 20));
        }
        fixed.push(q);
        double.push(rng.uniform(1e-6, 2.0) as f64 * 2f64.powi(rng.below(20) as i32 - 16));
    }
    check(gpu, &acc, &fixed, &double);
}

#[test]
fn rescales_match_the_int8_crate_at_their_corners_and_ties() {
    let Some(gpu) = gpu() else { return };
    let mut acc = Vec::new();
    let mut fixed = Vec::new();
    let mut double = Vec::new();
    let mut push = |a: i32, q: QuantizedMultiplier, m: f64| {
        acc.push(a);
        fixed.push(q);
        double.push(m);
    };
    // SRDHM's saturating case, and its neighbours.
    for a in [i32::MIN, i32::MIN + 1, i32::MAX, -1, 0, 1] {
        push(a, QuantizedMultiplier { multiplier: i32::MIN, shift: 0 }, 0.5);
        push(a, QuantizedMultiplier { multiplier: i32::MAX, shift: -3 }, 1.0);
    }
    // Ties: multiplier 2^30 (M = 0.5) with right shifts, so a * M / 2^r lands on halves; and
    // float64 multipliers 1/2, 1/4, 3/8 with odd accumulators.
    for a in -70..=70 {
        for shift in [-31, -8, -2, -1, 0, 1, 4] {
            push(
                a,
                QuantizedMultiplier { multiplier: 1 << 30, shift },
                [0.5, 0.25, 0.375, 1.5][a.rem_euclid(4) as usize],
            );
        }
    }
    // Large accumulators with multipliers near 1 (many significant bits in the double product),
    // and the saturating ends of the float64 rule.
    let mut rng = Rng::new(82);
    for _ in 0..2000 {
        let a = (rng.next_u64() as u32) as i32;
        let m = 1.0 - rng.next_f32() as f64 * 1e-3 + rng.next_f32() as f64 * 1e-9;
        push(a, quantize_multiplier(m * 0.5), m);
    }
    push(i32::MAX, quantize_multiplier(0.99), 4.0);
    push(i32::MIN, quantize_multiplier(0.99), 4.0);
    push(i32::MIN, quantize_multiplier(0.99), 1.0);
    push(1, quantize_multiplier(0.5), 1e-300);
    push(12345, quantize_multiplier(0.5), f64::MIN_POSITIVE / 4.0);
    check(gpu, &acc, &fixed, &double);
}

/// Cases where FULLY_CONNECTED's float64 product rounds (to 53 bits) across a half: the exact
/// product acc * m lies just below n + 1/2, the double product at n + 1/2, so the rule's answer
/// (n + 1 in magnitude) differs from exact rounding (n). Built by solving acc * M = 2^(K-1) - 1
/// mod 2^K for the 53-bit mantissa M (acc odd), K = k + 23 where k is the count of bits the
/// double product drops and 23 the fraction bits of the result.
#[test]
fn the_float64_rescale_keeps_the_double_products_own_rounding() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(83);
    let (mut acc, mut fixed, mut double) = (Vec::new(), Vec::new(), Vec::new());
    while acc.len() < 64 {
        let a = ((1u64 << 20) + (rng.next_u64() % (1 << 20))) | 1;
        for k in 19u32..=22 {
            let kk = k + 23;
            let modulus = 1u128 << kk;
            // Inverse of a mod 2^K by Newton's iteration.
            let mut inv: u128 = 1;
            for _ in 0..7 {
                inv = inv.wrapping_mul(2u128.wrapping_sub((a as u128).wrapping_mul(inv))) % modulus;
            }
            let target = (modulus >> 1) - 1;
            let mut m = (target * inv) % modulus;
            m += modulus * ((1u128 << 52).saturating_sub(m)).div_ceil(modulus);
            let p = a as u128 * m;
            if m >= 1 << 53 || 128 - p.leading_zeros() != 53 + k {
                continue;
            }
            let mult = m as f64 * 2f64.powi(-23 - k as i32);
            let exact = (p >> (k + 23)) as i64; // the fraction is just below 1/2: rounds down
            let rule = (a as f64 * mult).round() as i64;
            assert_eq!(rule, exact + 1, "the case must be one where the double's rounding decides");
            for sign in [1i64, -1] {
                acc.push((sign * a as i64) as i32);
                fixed.push(quantize_multiplier(0.5));
                double.push(mult);
            }
        }
    }
    check(gpu, &acc, &fixed, &double);
}
