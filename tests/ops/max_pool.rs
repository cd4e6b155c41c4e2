//! The max pooling kernels against their CPU twins and finite differences.

use crate::prelude::*;

#[test]
fn max_pool_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(131);
    // c % 4 == 0 runs the four-channel kernels (the backward only for k == stride).
    // Padded windows (a ResNet stem's 3x3/2 with 1 on each side, "same", uneven sides) take the
    // maximum of their in-bounds taps.
    for (shape, k, s, padding) in [
        ([26, 26, 12], 2, 2, Padding::Valid),
        ([7, 9, 8], 2, 2, Padding::Valid),
        ([8, 8, 4], 3, 2, Padding::Valid),
        ([7, 9, 3], 2, 2, Padding::Valid),
        ([8, 8, 2], 3, 2, Padding::Valid),
        ([6, 5, 1], 3, 1, Padding::Valid),
        ([8, 8, 4], 3, 2, pads([1, 1, 1, 1])),
        ([9, 7, 3], 3, 2, pads([1, 1, 1, 1])),
        ([7, 9, 8], 2, 2, Padding::Same),
        ([7, 9, 3], 2, 2, pads([1, 0, 1, 1])),
        ([6, 7, 4], 3, 1, pads([2, 0, 1, 2])),
    ] {
        let p = MaxPoolParams::new(2, shape, k, s, padding).unwrap();
        let x = random(&mut rng, p.input_len());
        let dy = random(&mut rng, p.output_len());
        let (y, arg, dx) =
            (gpu.storage("y", p.output_len()), gpu.storage("arg", p.output_len()), gpu.storage("dx", p.input_len()));
        let bx = gpu.upload("x", &x);
        run(gpu, p.forward(gpu, &bx, &y, &arg).unwrap());
        run(gpu, p.backward(gpu, &gpu.upload("dy", &dy), &arg, &dx).unwrap());
        let (cy, carg) = max_pool::twin::max_pool_forward(&p, &x);
        assert_eq!(read(gpu, &y, p.output_len()), cy, "max pool forward {p:?}");
        assert_eq!(gpu.read::<u32>(&arg, p.output_len()).unwrap(), carg, "max pool argmax {p:?}");
        // Overlapping windows add gradients in a different order: allow rounding.
        assert_close(
            &format!("max pool backward {p:?}"),
            &read(gpu, &dx, p.input_len()),
            &max_pool::twin::max_pool_backward(&p, &dy, &carg),
            1e-6,
        );
    }
}

#[test]
fn max_pool_gradient_matches_finite_differences() {
    // Distinct inputs: no ties, so the argmax does not move within eps.
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(231);
    for (c, k, s, padding) in [
        (3, 2, 2, Padding::Valid),
        (3, 3, 2, Padding::Valid),
        (4, 2, 2, Padding::Valid),
        (4, 3, 2, Padding::Valid),
        (3, 3, 2, pads([1, 1, 1, 1])),
        (4, 2, 2, pads([1, 1, 0, 1])),
        (3, 3, 1, pads([0, 2, 1, 1])),
    ] {
        let p = MaxPoolParams::new(2, [7, 6, c], k, s, padding).unwrap();
        // Distinct values spaced well above eps.
        let mut x: Vec<f32> = (0..p.input_len()).map(|i| i as f32 * 0.01).collect();
        rng.shuffle(&mut x);
        let r = random(&mut rng, p.output_len());
        let (y, arg, dx) =
            (gpu.storage("y", p.output_len()), gpu.storage("arg", p.output_len()), gpu.storage("dx", p.input_len()));
        let bx = gpu.upload("x", &x);
        gpu.run(&[p.forward(gpu, &bx, &y, &arg).unwrap(), p.backward(gpu, &gpu.upload("r", &r), &arg, &dx).unwrap()])
            .unwrap();
        check_fd(&format!("max pool c={c} {k}/{s}"), &x, &read(gpu, &dx, p.input_len()), 1e-3, 1e-3, |x| {
            dot(&r, &max_pool::twin::max_pool_forward(&p, x).0)
        });
    }
}
