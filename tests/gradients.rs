//! Every backward kernel (run on the GPU) against central finite differences of the forward
//! (its CPU twin, loss accumulated in f64). The loss is L = sum_i r_i y_i for a fixed random r,
//! so dL/dy = r is what each backward kernel receives.

mod common;

use common::{check_fd, dot, gpu, random, read};
use wgpu_qat::data::rng::Rng;
use wgpu_qat::ops::conv2d::{Conv2dParams, Padding};
use wgpu_qat::ops::dense::DenseShape;
use wgpu_qat::ops::fake_quant::FakeQuantParams;
use wgpu_qat::ops::loss::LossParams;
use wgpu_qat::ops::pool::MaxPoolParams;
use wgpu_qat::ops::reduce::ColumnSumParams;
use wgpu_qat::ops::relu::ReluParams;
use wgpu_qat::quant::fake_quant::{nudge, Grid};
use wgpu_qat::reference::f32 as cpu;

#[test]
fn conv2d_gradients_match_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(21);
    for (shape, o, k, stride, padding) in [
        ([6, 7, 2], 3, [3, 3], 1, Padding::Valid),
        ([7, 6, 3], 2, [3, 2], 2, Padding::Same),
        ([5, 5, 1], 4, [1, 1], 1, Padding::Same),
        ([6, 5, 8], 6, [1, 1], 1, Padding::Valid),
    ] {
        let p = Conv2dParams::new(2, shape, o, k, stride, padding).unwrap();
        let x = random(&mut rng, p.input_len());
        let w = random(&mut rng, p.weight_len());
        let b = random(&mut rng, p.o as usize);
        let r = random(&mut rng, p.output_len());
        let br = gpu.upload("r", &r);
        let (dx, dw, db) =
            (gpu.storage("dx", p.input_len()), gpu.storage("dw", p.weight_len()), gpu.storage("db", p.o as usize));
        gpu.run(&[
            p.backward_input(gpu, &br, &gpu.upload("w", &w), &dx).unwrap(),
            p.backward_weight(gpu, &gpu.upload("x", &x), &br, &dw).unwrap(),
            ColumnSumParams::new(p.n * p.oh * p.ow, p.o).dispatch(gpu, &br, &db).unwrap(),
        ])
        .unwrap();
        let name = format!("conv2d {p:?}");
        check_fd(&format!("{name} input"), &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
            dot(&r, &cpu::conv2d_forward(&p, x, &w, &b))
        });
        check_fd(&format!("{name} weight"), &w, &read(gpu, &dw, w.len()), 1e-2, 1e-3, |w| {
            dot(&r, &cpu::conv2d_forward(&p, &x, w, &b))
        });
        check_fd(&format!("{name} bias"), &b, &read(gpu, &db, b.len()), 1e-2, 1e-3, |b| {
            dot(&r, &cpu::conv2d_forward(&p, &x, &w, b))
        });
    }
}

#[test]
fn dense_gradients_match_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(22);
    let s = DenseShape { n: 5, inputs: 33, outputs: 7 };
    let x = random(&mut rng, (s.n * s.inputs) as usize);
    let w = random(&mut rng, (s.outputs * s.inputs) as usize);
    let b = random(&mut rng, s.outputs as usize);
    let r = random(&mut rng, (s.n * s.outputs) as usize);
    let br = gpu.upload("r", &r);
    let (dx, dw, db) = (gpu.storage("dx", x.len()), gpu.storage("dw", w.len()), gpu.storage("db", b.len()));
    gpu.run(&[
        s.backward_input(gpu, &br, &gpu.upload("w", &w), &dx).unwrap(),
        s.backward_weight(gpu, &gpu.upload("x", &x), &br, &dw).unwrap(),
        s.backward_bias(gpu, &br, &db).unwrap(),
    ])
    .unwrap();
    let f = |x: &[f32], w: &[f32], b: &[f32]| dot(&r, &cpu::matmul_strided(&s.forward_params(), x, w, b));
    check_fd("dense input", &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| f(x, &w, &b));
    check_fd("dense weight", &w, &read(gpu, &dw, w.len()), 1e-2, 1e-3, |w| f(&x, w, &b));
    check_fd("dense bias", &b, &read(gpu, &db, b.len()), 1e-2, 1e-3, |b| f(&x, &w, b));
}

#[test]
fn relu_and_max_pool_gradients_match_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(23);
    // Keep inputs away from the kinks (0 for ReLU, ties for max) so differences are smooth.
    let x: Vec<f32> = (0..200).map(|i| (i as f32 * 0.37).sin() + if i % 2 == 0 { 0.05 } else { -0.05 }).collect();
    let r = random(&mut rng, 200);
    let p = ReluParams::new(200);
    let dx = gpu.storage("dx", 200);
    gpu.run(&[p.backward(gpu, &gpu.upload("x", &x), &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
    check_fd("relu", &x, &read(gpu, &dx, 200), 1e-3, 1e-3, |x| dot(&r, &cpu::relu_forward(x)));

    for (k, s) in [(2, 2), (3, 2)] {
        let p = MaxPoolParams::new(2, [7, 6, 3], k, s).unwrap();
        // Distinct values spaced well above eps.
        let mut x: Vec<f32> = (0..p.input_len()).map(|i| i as f32 * 0.01).collect();
        rng.shuffle(&mut x);
        let r = random(&mut rng, p.output_len());
        let (y, arg, dx) =
            (gpu.storage("y", p.output_len()), gpu.storage("arg", p.output_len()), gpu.storage("dx", p.input_len()));
        let bx = gpu.upload("x", &x);
        gpu.run(&[p.forward(gpu, &bx, &y, &arg).unwrap(), p.backward(gpu, &gpu.upload("r", &r), &arg, &dx).unwrap()])
            .unwrap();
        check_fd(&format!("max pool {k}/{s}"), &x, &read(gpu, &dx, p.input_len()), 1e-3, 1e-3, |x| {
            dot(&r, &cpu::max_pool_forward(&p, x).0)
        });
    }
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
        let (_, per) = cpu::softmax_cross_entropy(n, classes, l, &labels);
        per.iter().step_by(2).map(|v| *v as f64).sum::<f64>() / n as f64
    };
    check_fd("softmax cross-entropy", &logits, &read(gpu, &d, n * classes), 1e-2, 2e-3, mean_loss);
}

#[test]
fn fake_quant_gradient_is_the_derivative_of_its_clamp() {
    // The straight-through estimator is by definition the derivative of the clamp
    // x -> clamp(x, nudged_min, nudged_max) (the rounding is treated as identity).
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(25);
    let grid = Grid::activation(8);
    let ranges = [-0.7f32, 1.3];
    let n = nudge(ranges[0], ranges[1], grid);
    // Avoid points within eps of the range ends.
    let x: Vec<f32> = (0..300)
        .map(|_| rng.uniform(-1.5, 2.0))
        .filter(|v| (v - n.min).abs() > 1e-2 && (v - n.max).abs() > 1e-2)
        .collect();
    let r = random(&mut rng, x.len());
    let p = FakeQuantParams::new(x.len(), 1, x.len(), grid);
    let dx = gpu.storage("dx", x.len());
    gpu.run(&[p.backward(gpu, &gpu.upload("x", &x), &gpu.upload("r", &ranges), &gpu.upload("dy", &r), &dx).unwrap()])
        .unwrap();
    check_fd("fake quant (STE)", &x, &read(gpu, &dx, x.len()), 1e-3, 1e-3, |x| {
        dot(&r, &x.iter().map(|v| v.clamp(n.min, n.max)).collect::<Vec<_>>())
    });
}
