//! The Adam update kernel against its CPU twin.

use crate::prelude::*;

#[test]
fn adam_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(17);
    let n = 777;
    let cfg = AdamConfig::default();
    let (mut w, mut m, mut v) = (random(&mut rng, n), vec![0.0; n], vec![0.0; n]);
    let (bw, bm, bv) = (gpu.upload("w", &w), gpu.storage("m", n), gpu.storage("v", n));
    let step = wgpu_qat::gpu::buffers::uniform(gpu, "step", &StepUniform::new(0, 1, cfg.lr, 1));
    let totals = gpu.storage("totals", TOTALS_WORDS);
    for t in 1..=3 {
        let g = random(&mut rng, n);
        gpu.queue.write_buffer(&step, 0, bytemuck::bytes_of(&StepUniform::new(0, t, cfg.lr, t)));
        run(gpu, AdamParams::new(n, cfg).dispatch(gpu, &step, &gpu.upload("g", &g), &bw, &bm, &bv, &totals).unwrap());
        adam::twin::adam_update(cfg, t as f32, &g, &mut w, &mut m, &mut v);
    }
    assert_close("adam w", &read(gpu, &bw, n), &w, 1e-5);
    assert_close("adam m", &read(gpu, &bm, n), &m, 1e-5);
    assert_close("adam v", &read(gpu, &bv, n), &v, 1e-5);
    let health = || Totals::from_words(&gpu.read::<u32>(&totals, TOTALS_WORDS).unwrap()).health;
    assert_eq!(health(), Health::default(), "finite gradients and weights");
    // An infinite gradient at step 7 is recorded as the first non-finite gradient, and the
    // weight it makes non-finite too; a later NaN does not move either step.
    for (t, bad) in [(7u32, f32::INFINITY), (8, f32::NAN)] {
        let mut g = random(&mut rng, n);
        g[100] = bad;
        gpu.queue.write_buffer(&step, 0, bytemuck::bytes_of(&StepUniform::new(0, t, cfg.lr, t)));
        run(gpu, AdamParams::new(n, cfg).dispatch(gpu, &step, &gpu.upload("g", &g), &bw, &bm, &bv, &totals).unwrap());
    }
    assert_eq!(health(), Health { non_finite_gradient: Some(7), non_finite_weight: Some(7), ..Health::default() });
}
