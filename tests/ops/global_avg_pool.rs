//! The global average pooling kernels against their CPU twins and finite differences.

use crate::prelude::*;

#[test]
fn global_avg_pool_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(331);
    let p = GlobalAvgPoolParams::new(3, [7, 7, 11]);
    let x = random(&mut rng, p.input_len());
    let dy = random(&mut rng, p.output_len());
    let (y, dx) = (gpu.storage("y", p.output_len()), gpu.storage("dx", p.input_len()));
    gpu.run(&[
        p.forward(gpu, &gpu.upload("x", &x), &y).unwrap(),
        p.backward(gpu, &gpu.upload("dy", &dy), &dx).unwrap(),
    ])
    .unwrap();
    assert_close(
        "global avg forward",
        &read(gpu, &y, p.output_len()),
        &global_avg_pool::twin::global_avg_pool_forward(&p, &x),
        sum_tol(49),
    );
    assert_close(
        "global avg backward",
        &read(gpu, &dx, p.input_len()),
        &global_avg_pool::twin::global_avg_pool_backward(&p, &dy),
        1e-7,
    );
}

#[test]
fn global_avg_pool_gradient_matches_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(421);
    let p = GlobalAvgPoolParams::new(2, [5, 4, 3]);
    let x = random(&mut rng, p.input_len());
    let r = random(&mut rng, p.output_len());
    let dx = gpu.storage("dx", p.input_len());
    gpu.run(&[p.backward(gpu, &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
    check_fd("global avg pool", &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
        dot(&r, &global_avg_pool::twin::global_avg_pool_forward(&p, x))
    });
}
