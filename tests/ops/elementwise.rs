//! The elementwise kernels (add, channel scale) against their CPU twins and finite differences.

use crate::prelude::*;

#[test]
fn add_and_channel_scale_match_cpu_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(34);
    let (a, b) = (random(&mut rng, 500), random(&mut rng, 500));
    let y = gpu.storage("y", 500);
    run(gpu, AddParams::new(500).dispatch(gpu, &gpu.upload("a", &a), &gpu.upload("b", &b), &y).unwrap());
    assert_eq!(read(gpu, &y, 500), elementwise::twin::add(&a, &b));
    let s = random(&mut rng, 5);
    run(gpu, ChannelScaleParams::new(500, 5).dispatch(gpu, &gpu.upload("a", &a), &gpu.upload("s", &s), &y).unwrap());
    assert_eq!(read(gpu, &y, 500), elementwise::twin::channel_scale(&a, &s, 1));
    run(
        gpu,
        ChannelScaleParams::with_inner(500, 5, 20)
            .dispatch(gpu, &gpu.upload("a", &a), &gpu.upload("s", &s), &y)
            .unwrap(),
    );
    assert_eq!(read(gpu, &y, 500), elementwise::twin::channel_scale(&a, &s, 20));
    // Channels a multiple of 4: four consecutive channels per lane, one vec4 load of the scales.
    let s8 = random(&mut rng, 8);
    run(gpu, ChannelScaleParams::new(496, 8).dispatch(gpu, &gpu.upload("a", &a), &gpu.upload("s", &s8), &y).unwrap());
    assert_eq!(read(gpu, &y, 496), elementwise::twin::channel_scale(&a[..496], &s8, 1));
}

#[test]
fn channel_scale_and_add_gradients_match_finite_differences() {
    // Channel scale (the BN-folding un-scale) and add route gradients linearly.
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(44);
    let x = random(&mut rng, 60);
    let s = random(&mut rng, 4);
    let r = random(&mut rng, 60);
    let dx = gpu.storage("dx", 60);
    // d/dx sum r * (x * s) = r * s: the same kernel applied to r.
    gpu.run(&[ChannelScaleParams::new(60, 4).dispatch(gpu, &gpu.upload("r", &r), &gpu.upload("s", &s), &dx).unwrap()])
        .unwrap();
    check_fd("channel scale", &x, &read(gpu, &dx, 60), 1e-2, 1e-3, |x| {
        dot(&r, &elementwise::twin::channel_scale(x, &s, 1))
    });
    // Add: each input's gradient is the output's.
    let (a, b) = (random(&mut rng, 20), random(&mut rng, 20));
    let r = random(&mut rng, 20);
    check_fd("add", &a, &r, 1e-2, 1e-3, |a| dot(&r, &elementwise::twin::add(a, &b)));
}

/// The micro-batch gradient accumulation: copy (keep 0), add (keep 1) and the final scaled sum,
/// each against its twin; the three in sequence give the mean of three gradients.
#[test]
fn accumulate_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(35);
    let grads: Vec<Vec<f32>> = (0..3).map(|_| random(&mut rng, 103)).collect();
    let (acc, last) = (gpu.storage("acc", 103), gpu.upload("last", &grads[2]));
    let (mut acc_cpu, mut last_cpu) = (random(&mut rng, 103), grads[2].clone());
    for (g, keep) in [(&grads[0], false), (&grads[1], true)] {
        run(gpu, AccumulateParams::new(103, keep, 1.0).dispatch(gpu, &gpu.upload("g", g), &acc).unwrap());
        elementwise::twin::accumulate(g, &mut acc_cpu, keep, 1.0);
        assert_eq!(read(gpu, &acc, 103), acc_cpu, "keep {keep}");
    }
    run(gpu, AccumulateParams::new(103, true, 1.0 / 3.0).dispatch(gpu, &acc, &last).unwrap());
    elementwise::twin::accumulate(&acc_cpu, &mut last_cpu, true, 1.0 / 3.0);
    let got = read(gpu, &last, 103);
    assert_eq!(got, last_cpu);
    let mean: Vec<f32> = (0..103).map(|i| (grads[0][i] + grads[1][i] + grads[2][i]) / 3.0).collect();
    assert_close("mean of three gradients", &got, &mean, 1e-6);
}
