//! The batch-norm kernels against their CPU twins and finite differences.

use crate::prelude::*;

#[test]
fn batch_norm_kernels_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(35);
    // Tall tensors (more than two blocks of rows) take the split reductions; both strategies'
    // reductions (CPU lanes: rows split over lanes).
    let shapes = [(2 * 14 * 14, 32), (37, 3), (1000, 1), (16 * 28 * 28, 8), (9001, 3), (5000, 6)];
    for ((rows, channels), strategy) in
        shapes.into_iter().flat_map(|s| [(s, Strategy::CpuLanes), (s, Strategy::GpuWide)])
    {
        let bn = BatchNorm::new(rows, channels);
        let c = channels as usize;
        let x: Vec<f32> = (0..bn.len()).map(|i| rng.uniform(-1.0, 3.0) + (i % c) as f32).collect();
        let dy = random(&mut rng, bn.len());
        let affine: Vec<f32> = (0..2 * c).map(|_| rng.uniform(0.5, 1.5)).collect();
        let (bx, bdy, baff) = (gpu.upload("x", &x), gpu.upload("dy", &dy), gpu.upload("affine", &affine));
        let (stats, y, daff, dx) = (
            gpu.storage("stats", 2 * c),
            gpu.storage("y", bn.len()),
            gpu.storage("daffine", 2 * c),
            gpu.storage("dx", bn.len()),
        );
        let moving = gpu.upload("moving", &vec![0.5f32; 2 * c]);
        let mut work = bn.statistics_for(strategy, gpu, &bx, &stats).unwrap();
        work.push(bn.forward(gpu, &bx, &stats, &baff, &y).unwrap());
        work.extend(bn.backward_affine_for(strategy, gpu, &bx, &bdy, &stats, &daff).unwrap());
        work.push(bn.backward_input(gpu, Statistics::Batch, &bx, &bdy, &stats, &baff, &daff, &dx).unwrap());
        work.push(bn.update_moving(gpu, MOMENTUM, &stats, &moving).unwrap());
        gpu.run(&work).unwrap();
        let want_stats = batch_norm::twin::batch_norm_statistics(&bn, &x);
        let tol = sum_tol(rows as usize);
        assert_close(&format!("bn statistics {strategy:?}"), &read(gpu, &stats, 2 * c), &want_stats, tol);
        assert_close(
            "bn forward",
            &read(gpu, &y, bn.len()),
            &batch_norm::twin::batch_norm_forward(&bn, &x, &want_stats, &affine),
            1e-4,
        );
        let want_daff = batch_norm::twin::batch_norm_backward_affine(&bn, &x, &dy, &want_stats);
        assert_close(&format!("bn dgamma/dbeta {strategy:?}"), &read(gpu, &daff, 2 * c), &want_daff, 1e-4);
        let want_dx = batch_norm::twin::batch_norm_backward_input(
            &bn,
            Statistics::Batch,
            &x,
            &dy,
            &want_stats,
            &affine,
            &want_daff,
        );
        assert_close("bn dx (batch statistics)", &read(gpu, &dx, bn.len()), &want_dx, 1e-3);
        let mut want_moving = vec![0.5f32; 2 * c];
        batch_norm::twin::batch_norm_update_moving(MOMENTUM, &want_stats, &mut want_moving);
        assert_close("bn moving", &read(gpu, &moving, 2 * c), &want_moving, 1e-5);
        let (fs, finv) = (gpu.storage("s", c), gpu.storage("inv", c));
        run(gpu, bn.fold_scale(gpu, &baff, &moving, &fs, &finv).unwrap());
        let (ws, winv) = batch_norm::twin::batch_norm_fold_scale(&bn, &affine, &want_moving);
        assert_close("bn fold scale", &read(gpu, &fs, c), &ws, 1e-6);
        assert_close("bn fold inverse scale", &read(gpu, &finv, c), &winv, 1e-6);
        run(gpu, bn.backward_input(gpu, Statistics::Fixed, &bx, &bdy, &moving, &baff, &daff, &dx).unwrap());
        let want_fixed = batch_norm::twin::batch_norm_backward_input(
            &bn,
            Statistics::Fixed,
            &x,
            &dy,
            &want_moving,
            &affine,
            &want_daff,
        );
        assert_close("bn dx (fixed statistics)", &read(gpu, &dx, bn.len()), &want_fixed, 1e-5);
    }
}

#[test]
fn batch_norm_gradients_match_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(43);
    let bn = BatchNorm::new(24, 3);
    let c = 3;
    let x: Vec<f32> = (0..bn.len()).map(|_| rng.uniform(-2.0, 2.0)).collect();
    let affine: Vec<f32> = (0..2 * c).map(|_| rng.uniform(0.5, 1.5)).collect();
    let r = random(&mut rng, bn.len());
    let (bx, br, baff) = (gpu.upload("x", &x), gpu.upload("r", &r), gpu.upload("affine", &affine));
    let (stats, daff, dx) = (gpu.storage("stats", 2 * c), gpu.storage("daffine", 2 * c), gpu.storage("dx", bn.len()));
    let mut work = bn.statistics(gpu, &bx, &stats).unwrap();
    work.extend(bn.backward_affine(gpu, &bx, &br, &stats, &daff).unwrap());
    work.push(bn.backward_input(gpu, Statistics::Batch, &bx, &br, &stats, &baff, &daff, &dx).unwrap());
    gpu.run(&work).unwrap();
    // Training mode: the statistics depend on x.
    let train = |x: &[f32], affine: &[f32]| {
        dot(&r, &batch_norm::twin::batch_norm_forward(&bn, x, &batch_norm::twin::batch_norm_statistics(&bn, x), affine))
    };
    check_fd("batch norm input (batch statistics)", &x, &read(gpu, &dx, x.len()), 1e-2, 2e-3, |x| train(x, &affine));
    check_fd("batch norm gamma/beta", &affine, &read(gpu, &daff, 2 * c), 1e-2, 2e-3, |a| train(&x, a));
    // Frozen statistics: BN is a per-channel affine map.
    let fixed: Vec<f32> = vec![0.3, 0.8, -0.2, 1.5, 0.1, 0.6];
    let bfixed = gpu.upload("fixed", &fixed);
    gpu.run(&[bn.backward_input(gpu, Statistics::Fixed, &bx, &br, &bfixed, &baff, &daff, &dx).unwrap()]).unwrap();
    check_fd("batch norm input (fixed statistics)", &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
        dot(&r, &batch_norm::twin::batch_norm_forward(&bn, x, &fixed, &affine))
    });
}
