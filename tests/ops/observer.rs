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
            cpu::activation_range_update(&x, &mut want, mode);
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
            cpu::weight_range(&w, channels, inner),
            "({count}, {channels}, {inner})"
        );
    }
}
