//! The range observers (activation moving average / all seen, weight per channel) against their
//! CPU twins.

use crate::prelude::*;

#[test]
fn observers_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(16);
    for mode in [RangeMode::MovingAverage { decay: 0.9 }, RangeMode::AllSeen] {
        let range = gpu.storage("range", 3);
        let mut want = [0.0f32; 3];
        // One slice, several, and a tail that is not a whole vec4 or a whole slice.
        for (step, n) in [500usize, 1501, 40_003, 123_457].into_iter().enumerate() {
            let x: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0 - step as f32, 2.0 + step as f32)).collect();
            gpu.run(&ActivationRangeParams::new(n, mode).dispatch(gpu, &gpu.upload("x", &x), &range).unwrap()).unwrap();
            observer::twin::activation_range_update(&x, &mut want, mode);
        }
        assert_close(&format!("activation range {mode:?}"), &read(gpu, &range, 3), &want, 1e-6);
    }
    // Values past `count` (the padding of the last vec4) are not part of the tensor.
    let range = gpu.storage("range", 3);
    let x = [0.5f32, -0.25, 0.75, 1e9, -1e9];
    gpu.run(&ActivationRangeParams::new(3, RangeMode::AllSeen).dispatch(gpu, &gpu.upload("x", &x), &range).unwrap())
        .unwrap();
    assert_eq!(read(gpu, &range, 3), [-0.25, 0.75, 1.0]);
    // OHWI (contiguous channels), depthwise [KH, KW, C] (channel last), per tensor.
    for (count, channels, inner) in [(108, 12, 9), (9 * 32, 32, 1), (500, 1, 500)] {
        let w = random(&mut rng, count);
        let r = gpu.storage("wr", 2 * channels);
        run(gpu, WeightRangeParams::new(count, channels, inner).dispatch(gpu, &gpu.upload("w", &w), &r).unwrap());
        assert_eq!(
            read(gpu, &r, 2 * channels),
            observer::twin::weight_range(&w, channels, inner),
            "({count}, {channels}, {inner})"
        );
    }
}

#[test]
fn bias_widened_ranges_match_cpu() {
    use qat_int8::quant::fake_quant::Grid;
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(17);
    // Per channel and per tensor, with the layer's own bias and with batch norm's folded one;
    // every third channel's weights have collapsed (so its range is widened), the rest not.
    for (channels, ranges, folded) in [(12usize, 12usize, false), (12, 1, false), (32, 32, true), (32, 1, true)] {
        let mut range: Vec<f32> = (0..ranges)
            .flat_map(|g| {
                let half = if g % 3 == 0 { 1e-9 } else { rng.uniform(0.05, 1.0) };
                [-half, half]
            })
            .collect();
        let bias = random(&mut rng, channels);
        let gamma: Vec<f32> = (0..channels).map(|_| rng.uniform(0.5, 1.5)).collect();
        let beta = random(&mut rng, channels);
        let moving: Vec<f32> = (0..channels).flat_map(|_| [rng.uniform(-0.5, 0.5), rng.uniform(0.5, 1.5)]).collect();
        let scale: Vec<f32> = (0..channels).map(|_| rng.uniform(0.5, 1.5)).collect();
        let affine: Vec<f32> = gamma.iter().chain(&beta).copied().collect();
        let input_range = [-0.7f32, 1.9, 1.0];
        let p = BiasRoomParams::new(channels, ranges, 9 * 16, folded, Grid::activation(8), Grid::weight(8));
        let r = gpu.upload("ranges", &range);
        let buffers = [gpu.upload("in", &input_range), gpu.upload("b", &bias), gpu.upload("a", &affine)];
        let (m, s) = (gpu.upload("m", &moving), gpu.upload("s", &scale));
        run(gpu, p.dispatch(gpu, &buffers[0], &buffers[1], &buffers[2], &m, &s, &r).unwrap());
        let folded_bias: Vec<f32> =
            if folded { (0..channels).map(|c| beta[c] - scale[c] * moving[2 * c]).collect() } else { bias.clone() };
        let before = range.clone();
        observer::twin::bias_widened_range(&mut range, &folded_bias, &input_range, &p);
        let got = read(gpu, &r, 2 * ranges);
        for (i, (g, w)) in got.iter().zip(&range).enumerate() {
            assert!(
                (g - w).abs() <= 1e-6 * w.abs(),
                "{channels} channels, {ranges} ranges, folded {folded}: {i}: {g} vs {w}"
            );
        }
        // The collapsed ranges grew (the biases would not fit at 1e-9), and the rest did not.
        assert!(got[1] > 1e-6, "range 0 was not widened: {}", got[1]);
        if ranges > 1 {
            assert_eq!(got[3], before[3], "range 1 needed no widening");
        }
    }
}
