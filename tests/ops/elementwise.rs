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
