//! The average pooling kernels against their CPU twins and finite differences.

use crate::prelude::*;

#[test]
fn avg_pool_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(33);
    for (shape, k, s, padding) in [
        ([7, 7, 5], 2, 2, Padding::Valid),
        ([7, 6, 3], 3, 2, Padding::Same),
        ([5, 5, 2], 3, 1, Padding::Same),
        ([4, 4, 1], 4, 1, Padding::Valid),
    ] {
        let p = AvgPoolParams::new(2, shape, k, s, padding).unwrap();
        let x = random(&mut rng, p.input_len());
        let dy = random(&mut rng, p.output_len());
        let (y, dx) = (gpu.storage("y", p.output_len()), gpu.storage("dx", p.input_len()));
        gpu.run(&[
            p.forward(gpu, &gpu.upload("x", &x), &y).unwrap(),
            p.backward(gpu, &gpu.upload("dy", &dy), &dx).unwrap(),
        ])
        .unwrap();
        let tol = sum_tol((k * k) as usize);
        assert_close(
            &format!("avg pool forward {p:?}"),
            &read(gpu, &y, p.output_len()),
            &avg_pool::twin::avg_pool_forward(&p, &x),
            tol,
        );
        assert_close(
            &format!("avg pool backward {p:?}"),
            &read(gpu, &dx, p.input_len()),
            &avg_pool::twin::avg_pool_backward(&p, &dy),
            tol,
        );
    }
}

#[test]
fn avg_pool_gradient_matches_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(42);
    for (shape, k, s, padding) in [([7, 6, 3], 3, 2, Padding::Same), ([6, 6, 2], 2, 2, Padding::Valid)] {
        let p = AvgPoolParams::new(2, shape, k, s, padding).unwrap();
        let x = random(&mut rng, p.input_len());
        let r = random(&mut rng, p.output_len());
        let dx = gpu.storage("dx", p.input_len());
        gpu.run(&[p.backward(gpu, &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
        check_fd(&format!("avg pool {p:?}"), &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
            dot(&r, &avg_pool::twin::avg_pool_forward(&p, x))
        });
    }
}
