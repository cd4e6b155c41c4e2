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
        for step in 0..4 {
            let n = 500 + 1000 * step;
            let x: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0 - step as f32, 2.0 + step as f32)).collect();
            run(gpu, ActivationRangeParams::new(n, mode).dispatch(gpu, &gpu.upload("x", &x), &range).unwrap());
            cpu::activation_range_update(&x, &mut want, mode);
        }
        assert_close(&format!("activation range {mode:?}"), &read(gpu, &range, 3), &want, 1e-6);
    }
    // OHWI (contiguous channels), depthwise [KH, KW, C] (channel last), per tensor.
    for (count, channels, inner) in [(108, 12, 9), (9 * 32, 32, 1), (500, 1, 500)] {
        let w = random(&mut rng, count);
        let r = gpu.storage("wr", 2 * channels);
        run(gpu, WeightRangeParams::new(count, channels, inner).dispatch(gpu, &gpu.upload("w", &w), &r).unwrap());
        assert_eq!(
            read(gpu, &r, 2 * channels),
            cpu::weight_range(&w, channels, inner),
            "({count}, {channels}, {inner})"
        );
    }
}
