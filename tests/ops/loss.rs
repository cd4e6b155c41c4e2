//! The loss kernels (softmax cross-entropy, the totals and health words) against their CPU twins
//! and finite differences.

use crate::prelude::*;

#[test]
fn softmax_cross_entropy_and_totals_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(14);
    let (n, classes) = (77usize, 10usize);
    let logits: Vec<f32> = (0..n * classes).map(|_| rng.uniform(-8.0, 8.0)).collect();
    let labels: Vec<u32> = (0..n).map(|_| rng.below(classes) as u32).collect();
    let p = LossParams::new(n as u32, classes as u32);
    let (d, per, totals) =
        (gpu.storage("d", n * classes), gpu.storage("per", 2 * n), gpu.storage("totals", TOTALS_WORDS));
    let limit = explode_limit(classes as u32);
    let step = |s: u32| wgpu_qat::gpu::buffers::uniform(gpu, "step", &StepUniform::new(0, 1, 0.0, s));
    let read_totals = || Totals::from_words(&gpu.read::<u32>(&totals, TOTALS_WORDS).unwrap());
    run(
        gpu,
        p.forward_backward(gpu, &gpu.upload("logits", &logits), &gpu.upload("labels", &labels), &d, &per).unwrap(),
    );
    run(gpu, p.accumulate(gpu, &step(1), &per, &totals).unwrap());
    run(gpu, p.accumulate(gpu, &step(2), &per, &totals).unwrap());
    let (cd, cper) = loss::twin::softmax_cross_entropy(n, classes, &logits, &labels);
    assert_close("dlogits", &read(gpu, &d, n * classes), &cd, 1e-5);
    assert_close("per-sample", &read(gpu, &per, 2 * n), &cper, 1e-5);
    let mut want = Totals::default();
    loss::twin::accumulate_totals(&cper, &mut want, 1, limit);
    loss::twin::accumulate_totals(&cper, &mut want, 2, limit);
    let got = read_totals();
    assert_close(
        "totals",
        &[got.loss_sum, got.correct, got.samples],
        &[want.loss_sum, want.correct, want.samples],
        1e-5,
    );
    assert_eq!(got.health, Health::default(), "logits in [-8, 8] are healthy");
    assert_eq!(want.health, Health::default());
    // Logits of 1e4 on the wrong class: a finite loss far above the limit, from step 3 on.
    let huge: Vec<f32> = (0..n * classes)
        .map(|i| if i % classes == (labels[i / classes] as usize + 1) % classes { 1e4 } else { 0.0 })
        .collect();
    run(gpu, p.forward_backward(gpu, &gpu.upload("logits", &huge), &gpu.upload("labels", &labels), &d, &per).unwrap());
    run(gpu, p.accumulate(gpu, &step(3), &per, &totals).unwrap());
    run(gpu, p.accumulate(gpu, &step(4), &per, &totals).unwrap());
    let (_, cper) = loss::twin::softmax_cross_entropy(n, classes, &huge, &labels);
    loss::twin::accumulate_totals(&cper, &mut want, 3, limit);
    assert_eq!(read_totals().health, Health { exploding_loss: Some(3), ..Health::default() });
    assert_eq!(want.health.exploding_loss, Some(3));
    // A NaN logit at step 5 records step 5; the exploding step stays 3 (first seen).
    let mut bad = logits.clone();
    bad[3] = f32::NAN;
    run(gpu, p.forward_backward(gpu, &gpu.upload("logits", &bad), &gpu.upload("labels", &labels), &d, &per).unwrap());
    run(gpu, p.accumulate(gpu, &step(5), &per, &totals).unwrap());
    run(gpu, p.accumulate(gpu, &step(6), &per, &totals).unwrap());
    let (_, cper) = loss::twin::softmax_cross_entropy(n, classes, &bad, &labels);
    loss::twin::accumulate_totals(&cper, &mut want, 5, limit);
    let h = read_totals().health;
    assert_eq!(h, Health { exploding_loss: Some(3), non_finite_loss: Some(5), ..Health::default() });
    assert_eq!(want.health, h);
    assert_eq!(h.first_problem(limit).map(|(s, _)| s), Some(3));
}

#[test]
fn softmax_cross_entropy_gradient_matches_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(24);
    let (n, classes) = (6usize, 10usize);
    let logits: Vec<f32> = (0..n * classes).map(|_| rng.uniform(-3.0, 3.0)).collect();
    let labels: Vec<u32> = (0..n).map(|_| rng.below(classes) as u32).collect();
    let p = LossParams::new(n as u32, classes as u32);
    let (d, per) = (gpu.storage("d", n * classes), gpu.storage("per", 2 * n));
    gpu.run(&[p.forward_backward(gpu, &gpu.upload("l", &logits), &gpu.upload("y", &labels), &d, &per).unwrap()])
        .unwrap();
    let mean_loss = |l: &[f32]| {
        let (_, per) = loss::twin::softmax_cross_entropy(n, classes, l, &labels);
        per.iter().step_by(2).map(|v| *v as f64).sum::<f64>() / n as f64
    };
    check_fd("softmax cross-entropy", &logits, &read(gpu, &d, n * classes), 1e-2, 2e-3, mean_loss);
}
