//! Fake quant: TF's nudging on worked examples, the forward formula, the int8 index and the
//! straight-through mask (GPU-free), then the kernels against their CPU twins and the gradient.

use crate::prelude::*;

#[test]
fn nudging_makes_zero_exact() {
    // min -0.1, max 1.0 on [0, 255]: scale 1.1/255, zp_from_min = 0.1/scale = 23.18 -> 23.
    let n = nudge(-0.1, 1.0, Grid::activation(8));
    let scale = 1.1f32 / 255.0;
    assert!((n.scale - scale).abs() < 1e-9);
    assert_eq!(n.zero_point, 23);
    assert!((n.min - (-23.0 * scale)).abs() < 1e-7);
    assert!((n.max - (232.0 * scale)).abs() < 1e-6);
    assert_eq!(n.fake_quant(0.0), 0.0);
    assert_eq!(n.signed_zero_point(), 23 - 128);
}

#[test]
fn range_above_zero_clamps_the_zero_point() {
    // min > 0 would put zp below qmin: clamped, so the range starts at 0.
    let n = nudge(0.5, 1.0, Grid::activation(8));
    assert_eq!(n.zero_point, 0);
    assert_eq!(n.min, 0.0);
}

#[test]
fn input_range_zero_one_is_tfmot_input_quantization() {
    let n = nudge(0.0, 1.0, Grid::activation(8));
    assert_eq!(n.scale, 1.0f32 / 255.0);
    assert_eq!(n.signed_zero_point(), -128);
    for p in 0..=255u8 {
        assert_eq!(n.index(p as f32 / 255.0), p as i32 - 128);
    }
}

#[test]
fn symmetric_weights_have_zero_point_zero_and_narrow_range() {
    let n = nudge(-0.635, 0.635, Grid::weight(8));
    assert_eq!(n.signed_zero_point(), 0);
    assert!((n.scale - 0.635 / 127.0).abs() < 1e-8);
    assert_eq!(n.index(0.635), 127);
    assert_eq!(n.index(-0.635), -127);
    assert_eq!(n.index(-5.0), -127);
    assert_eq!(n.index(0.0), 0);
}

#[test]
fn forward_formula_and_ties() {
    let n = nudge(0.0, 2.55, Grid::activation(8)); // scale 0.01
                                                   // floor((x - min) / scale + 0.5) * scale + min: 0.015 is a tie and rounds up.
    let y = n.fake_quant(0.015);
    assert!((y - 0.02).abs() < 1e-6, "{y}");
    assert!((n.fake_quant(0.0149) - 0.01).abs() < 1e-6);
    assert_eq!(n.fake_quant(-1.0), 0.0);
    assert!((n.fake_quant(9.0) - n.max).abs() < 1e-6);
    // Idempotent.
    for i in 0..300 {
        let x = i as f32 * 0.0093;
        assert_eq!(n.fake_quant(n.fake_quant(x)), n.fake_quant(x));
    }
}

#[test]
fn straight_through_mask() {
    let n = nudge(-1.0, 1.0, Grid::activation(8));
    assert!(n.passes_gradient(0.3));
    assert!(n.passes_gradient(n.min));
    assert!(n.passes_gradient(n.max));
    assert!(!n.passes_gradient(n.max + 0.01));
    assert!(!n.passes_gradient(n.min - 0.01));
}

#[test]
fn degenerate_range_stays_finite() {
    let n = nudge(0.0, 0.0, Grid::weight(8));
    assert!(n.scale.is_finite() && n.scale > 0.0);
    assert_eq!(n.fake_quant(0.0), 0.0);
}

#[test]
fn fake_quant_kernels_match_cpu_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(15);
    for (count, channels, inner, grid) in [
        (1000, 1, 1000, Grid::activation(8)),
        (12 * 9, 12, 9, Grid::weight(8)),
        (600, 5, 7, Grid::activation(8)),
        (300, 1, 300, Grid::new(4, false)),
    ] {
        let x: Vec<f32> = (0..count).map(|_| rng.uniform(-3.0, 3.0)).collect();
        let ranges: Vec<f32> = (0..channels).flat_map(|_| [rng.uniform(-2.0, 0.0), rng.uniform(0.1, 2.5)]).collect();
        let dy = random(&mut rng, count);
        let p = FakeQuantParams::new(count, channels, inner, grid);
        let (bx, br) = (gpu.upload("x", &x), gpu.upload("ranges", &ranges));
        let (y, dx) = (gpu.storage("y", count), gpu.storage("dx", count));
        run(gpu, p.forward(gpu, &bx, &br, &y).unwrap());
        run(gpu, p.backward(gpu, &bx, &br, &gpu.upload("dy", &dy), &dx).unwrap());
        let want = fake_quant::twin::fake_quant_forward(&x, &ranges, channels, inner, grid);
        let got = read(gpu, &y, count);
        // Same f32 operations in the same order; allow one ulp-level difference from fused
        // multiply-add contraction on some drivers.
        assert_close(&format!("fake quant forward ({count}, {channels}, {inner})"), &got, &want, 1e-6);
        let straight = fake_quant::twin::fake_quant_backward(&x, &ranges, &dy, channels, inner, grid);
        assert_eq!(read(gpu, &dx, count), straight);
        // With a ReLU's backward folded in (x is then the ReLU's output): both masks.
        for cap in [f32::MAX, 6.0, 1.0] {
            let relu_x: Vec<f32> = x.iter().map(|v| v.max(0.0).min(cap)).collect();
            let (brx, dx) = (gpu.upload("x", &relu_x), gpu.storage("dx", count));
            run(gpu, p.after_relu(cap).backward(gpu, &brx, &br, &gpu.upload("dy", &dy), &dx).unwrap());
            let fq = fake_quant::twin::fake_quant_backward(&relu_x, &ranges, &dy, channels, inner, grid);
            assert_eq!(read(gpu, &dx, count), relu::twin::relu_capped_backward(&relu_x, &fq, cap), "cap {cap}");
        }
    }
}

#[test]
fn fake_quant_gradient_is_the_derivative_of_its_clamp() {
    // The straight-through estimator is by definition the derivative of the clamp
    // x -> clamp(x, nudged_min, nudged_max) (the rounding is treated as identity).
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(25);
    let grid = Grid::activation(8);
    let ranges = [-0.7f32, 1.3];
    let n = nudge(ranges[0], ranges[1], grid);
    // Avoid points within eps of the range ends.
    let x: Vec<f32> = (0..300)
        .map(|_| rng.uniform(-1.5, 2.0))
        .filter(|v| (v - n.min).abs() > 1e-2 && (v - n.max).abs() > 1e-2)
        .collect();
    let r = random(&mut rng, x.len());
    let p = FakeQuantParams::new(x.len(), 1, x.len(), grid);
    let dx = gpu.storage("dx", x.len());
    gpu.run(&[p.backward(gpu, &gpu.upload("x", &x), &gpu.upload("r", &ranges), &gpu.upload("dy", &r), &dx).unwrap()])
        .unwrap();
    check_fd("fake quant (STE)", &x, &read(gpu, &dx, x.len()), 1e-3, 1e-3, |x| {
        dot(&r, &x.iter().map(|v| v.clamp(n.min, n.max)).collect::<Vec<_>>())
    });
}

#[test]
fn a_zero_margin_is_the_plain_fake_quant() {
    let mut rng = Rng::new(41);
    for _ in 0..20 {
        let n = nudge(rng.uniform(-3.0, 0.0), rng.uniform(0.1, 4.0), Grid::activation(8));
        for _ in 0..200 {
            let x = rng.uniform(-5.0, 5.0);
            assert_eq!(n.fake_quant_with_margin(x, 0.0), n.fake_quant(x));
        }
    }
}

#[test]
fn the_requantized_fake_quant_lands_where_the_int8_requantization_does() {
    // A conv output channel: accumulators (bias included) on the integer grid of
    // s_in * s_w, requantized by the int8 model with QuantizeMultiplier's M and double
    // rounding, and fake-quantized by QAT from the f32 value with the margin of the same scales.
    // They agree on every accumulator whose exact r = acc * M is not within 1e-4 LSB of a
    // rounding boundary (f32 error); the plain fake quant misses the double rounding.
    use qat_int8::quant::double_rounding::margin_of_scales;
    use qat_int8::quant::multiplier::{multiply_by_quantized_multiplier, quantize_multiplier};
    let mut rng = Rng::new(42);
    let act = Grid::activation(8);
    let (mut checked, mut plain_misses) = (0, 0);
    for _ in 0..40 {
        let s_in = rng.uniform(0.002, 0.05);
        let s_w = rng.uniform(0.001, 0.05);
        let out = nudge(rng.uniform(-4.0, 0.0), rng.uniform(0.5, 8.0), act);
        let qm = quantize_multiplier(s_in as f64 * s_w as f64 / out.scale as f64);
        let m = qm.multiplier as f64 * 2f64.powi(qm.shift - 31);
        let margin = margin_of_scales(s_in, s_w, out.scale);
        let half_range = (128.0 / m) as i32;
        for _ in 0..500 {
            let acc = (rng.uniform(-1.0, 1.0) * half_range as f32) as i32;
            let int8 = (multiply_by_quantized_multiplier(acc, qm) + out.signed_zero_point()).clamp(-128, 127);
            let v = acc as f32 * (s_in * s_w);
            let qat = out.index(out.fake_quant_with_margin(v, margin));
            let r = acc as f64 * m;
            let f = r.abs().fract();
            let near = (f - (0.5 - margin as f64)).abs() < 1e-4 || (f - 0.5).abs() < 1e-4;
            if !near {
                assert_eq!(qat, int8, "acc {acc}, r {r}, margin {margin}");
                checked += 1;
                plain_misses += (out.index(out.fake_quant(v)) != int8) as usize;
            }
        }
    }
    assert!(checked > 19_000, "{checked}");
    assert!(plain_misses > 100, "the plain fake quant should miss the double rounding: {plain_misses}");
}

#[test]
fn requantized_fake_quant_kernels_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(43);
    let (act, wgrid) = (Grid::activation(8), Grid::weight(8));
    // (elements, output channels, weight ranges): per tensor; per channel with C % 4 == 0 and
    // with C % 4 != 0; a count that is not a multiple of 16.
    // Ranges that give large multipliers (wide input and weight ranges, a narrow output range),
    // so that margins are wide and many values fall in them; x over the output range.
    for (count, channels, groups) in [(1000, 8, 1), (64 * 12, 12, 12), (50 * 6, 6, 6), (149 * 3, 3, 3)] {
        let input_range = [rng.uniform(-4.0, -2.0), rng.uniform(2.0, 4.0)];
        let output_range = [rng.uniform(-0.3, 0.0), rng.uniform(0.1, 0.4)];
        let x: Vec<f32> = (0..count).map(|_| rng.uniform(output_range[0] - 0.1, output_range[1] + 0.1)).collect();
        let weight_ranges: Vec<f32> = (0..groups)
            .flat_map(|_| {
                let m = rng.uniform(0.05, 1.0);
                [-m, m]
            })
            .collect();
        let margin_channels = if groups == 1 { 1 } else { channels };
        let mp = MarginParams::new(margin_channels, groups, act, wgrid);
        let margins = gpu.storage("margins", mp.margins_len());
        let (bin, bw, bout) = (
            gpu.upload("input range", &input_range),
            gpu.upload("weight ranges", &weight_ranges),
            gpu.upload("output range", &output_range),
        );
        run(gpu, mp.dispatch(gpu, &bin, &bw, &bout, &margins).unwrap());
        let want_margins = fake_quant::twin::double_rounding_margins(
            &input_range,
            &weight_ranges,
            &output_range,
            margin_channels,
            act,
            wgrid,
        );
        assert_eq!(read(gpu, &margins, margin_channels), want_margins, "margins ({count}, {channels}, {groups})");
        assert!(want_margins.iter().any(|&m| m > 0.0), "a case without margins tests nothing");
        let p = FakeQuantParams::new(count, 1, count, act);
        let y = gpu.storage("y", count);
        let bx = gpu.upload("x", &x);
        run(gpu, p.forward_requantized(gpu, &bx, &bout, &margins, margin_channels as u32, &y).unwrap());
        let want = fake_quant::twin::fake_quant_requantized_forward(&x, &output_range, &want_margins, act);
        let got = read(gpu, &y, count);
        // Same f32 operations in the same order (one-ulp slack for fused multiply-add).
        assert_close(&format!("requantized fake quant ({count}, {channels}, {groups})"), &got, &want, 1e-6);
        let plain = fake_quant::twin::fake_quant_forward(&x, &output_range, 1, count, act);
        assert_ne!(got, plain, "the margins change some roundings ({count}, {channels}, {groups})");
    }
}
