//! The (capped) ReLU kernels against their CPU twins (exactly) and finite differences.

use crate::prelude::*;

#[test]
fn relu_matches_cpu_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(13);
    let x = random(&mut rng, 1000);
    let dy = random(&mut rng, 1000);
    let p = ReluParams::new(1000);
    let (bx, bdy, y, dx) =
        (gpu.upload("x", &x), gpu.upload("dy", &dy), gpu.storage("y", 1000), gpu.storage("dx", 1000));
    run(gpu, p.forward(gpu, &bx, &y).unwrap());
    run(gpu, p.backward(gpu, &bx, &bdy, &dx).unwrap());
    assert_eq!(read(gpu, &y, 1000), relu::twin::relu_forward(&x));
    assert_eq!(read(gpu, &dx, 1000), relu::twin::relu_backward(&x, &dy));
}

#[test]
fn relu6_matches_cpu_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(32);
    let x: Vec<f32> = (0..999).map(|_| rng.uniform(-3.0, 9.0)).collect();
    let dy = random(&mut rng, 999);
    let p = ReluParams::capped(999, 6.0);
    let (bx, y, dx) = (gpu.upload("x", &x), gpu.storage("y", 999), gpu.storage("dx", 999));
    gpu.run(&[p.forward(gpu, &bx, &y).unwrap(), p.backward(gpu, &bx, &gpu.upload("dy", &dy), &dx).unwrap()]).unwrap();
    assert_eq!(read(gpu, &y, 999), relu::twin::relu_capped_forward(&x, 6.0));
    assert_eq!(read(gpu, &dx, 999), relu::twin::relu_capped_backward(&x, &dy, 6.0));
}

#[test]
fn relu_gradient_matches_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(23);
    // Keep inputs away from the kink at 0 so differences are smooth.
    let x: Vec<f32> = (0..200).map(|i| (i as f32 * 0.37).sin() + if i % 2 == 0 { 0.05 } else { -0.05 }).collect();
    let r = random(&mut rng, 200);
    let p = ReluParams::new(200);
    let dx = gpu.storage("dx", 200);
    gpu.run(&[p.backward(gpu, &gpu.upload("x", &x), &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
    check_fd("relu", &x, &read(gpu, &dx, 200), 1e-3, 1e-3, |x| dot(&r, &relu::twin::relu_forward(x)));
}

#[test]
fn relu6_gradient_matches_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(422);
    // ReLU6: keep inputs away from the kinks at 0 and 6.
    let x: Vec<f32> =
        (0..300).map(|i| -2.0 + (i as f32) * 0.031).filter(|v| v.abs() > 0.01 && (v - 6.0).abs() > 0.01).collect();
    let r = random(&mut rng, x.len());
    let p = ReluParams::capped(x.len(), 6.0);
    let dx = gpu.storage("dx", x.len());
    gpu.run(&[p.backward(gpu, &gpu.upload("x", &x), &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
    check_fd("relu6", &x, &read(gpu, &dx, x.len()), 1e-3, 1e-3, |x| dot(&r, &relu::twin::relu_capped_forward(x, 6.0)));
}
