//! Backward kernels of the MobileNet-class ops (run on the GPU) against central finite
//! differences of their forward (CPU twin, loss accumulated in f64), as in gradients.rs.

mod common;

use common::{check_fd, dot, gpu, random, read};
use wgpu_qat::data::rng::Rng;
use wgpu_qat::ops::avg_pool::{AvgPoolParams, GlobalAvgPoolParams};
use wgpu_qat::ops::batch_norm::{BatchNorm, Statistics};
use wgpu_qat::ops::conv2d::Padding;
use wgpu_qat::ops::depthwise::Depthwise;
use wgpu_qat::ops::relu::ReluParams;
use wgpu_qat::reference::f32 as cpu;

#[test]
fn depthwise_gradients_match_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(41);
    for (shape, k, stride, padding) in [
        ([6, 7, 3], [3, 3], 1, Padding::Same),
        ([7, 7, 4], [3, 3], 2, Padding::Same),
        ([5, 6, 2], [2, 3], 1, Padding::Valid),
    ] {
        let d = Depthwise::new(2, shape, k, stride, padding).unwrap();
        let p = *d.params();
        let x = random(&mut rng, p.input_len());
        let w = random(&mut rng, d.weight_len());
        let b = random(&mut rng, p.c as usize);
        let r = random(&mut rng, p.output_len());
        let br = gpu.upload("r", &r);
        let (dx, dw) = (gpu.storage("dx", p.input_len()), gpu.storage("dw", d.weight_len()));
        gpu.run(&[
            d.backward_input(gpu, &br, &gpu.upload("w", &w), &dx).unwrap(),
            d.backward_weight(gpu, &gpu.upload("x", &x), &br, &dw).unwrap(),
        ])
        .unwrap();
        check_fd(&format!("depthwise input {p:?}"), &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
            dot(&r, &cpu::depthwise_forward(&p, x, &w, &b))
        });
        check_fd(&format!("depthwise weight {p:?}"), &w, &read(gpu, &dw, w.len()), 1e-2, 1e-3, |w| {
            dot(&r, &cpu::depthwise_forward(&p, &x, w, &b))
        });
    }
}

#[test]
fn pooling_and_relu6_gradients_match_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(42);
    for (shape, k, s, padding) in [([7, 6, 3], 3, 2, Padding::Same), ([6, 6, 2], 2, 2, Padding::Valid)] {
        let p = AvgPoolParams::new(2, shape, k, s, padding).unwrap();
        let x = random(&mut rng, p.input_len());
        let r = random(&mut rng, p.output_len());
        let dx = gpu.storage("dx", p.input_len());
        gpu.run(&[p.backward(gpu, &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
        check_fd(&format!("avg pool {p:?}"), &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
            dot(&r, &cpu::avg_pool_forward(&p, x))
        });
    }
    let p = GlobalAvgPoolParams::new(2, [5, 4, 3]);
    let x = random(&mut rng, p.input_len());
    let r = random(&mut rng, p.output_len());
    let dx = gpu.storage("dx", p.input_len());
    gpu.run(&[p.backward(gpu, &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
    check_fd("global avg pool", &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
        dot(&r, &cpu::global_avg_pool_forward(&p, x))
    });

    // ReLU6: keep inputs away from the kinks at 0 and 6.
    let x: Vec<f32> =
        (0..300).map(|i| -2.0 + (i as f32) * 0.031).filter(|v| v.abs() > 0.01 && (v - 6.0).abs() > 0.01).collect();
    let r = random(&mut rng, x.len());
    let p = ReluParams::capped(x.len(), 6.0);
    let dx = gpu.storage("dx", x.len());
    gpu.run(&[p.backward(gpu, &gpu.upload("x", &x), &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
    check_fd("relu6", &x, &read(gpu, &dx, x.len()), 1e-3, 1e-3, |x| dot(&r, &cpu::relu_capped_forward(x, 6.0)));
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
    gpu.run(&[
        bn.statistics(gpu, &bx, &stats).unwrap(),
        bn.backward_affine(gpu, &bx, &br, &stats, &daff).unwrap(),
        bn.backward_input(gpu, Statistics::Batch, &bx, &br, &stats, &baff, &daff, &dx).unwrap(),
    ])
    .unwrap();
    // Training mode: the statistics depend on x.
    let train = |x: &[f32], affine: &[f32]| {
        dot(&r, &cpu::batch_norm_forward(&bn, x, &cpu::batch_norm_statistics(&bn, x), affine))
    };
    check_fd("batch norm input (batch statistics)", &x, &read(gpu, &dx, x.len()), 1e-2, 2e-3, |x| train(x, &affine));
    check_fd("batch norm gamma/beta", &affine, &read(gpu, &daff, 2 * c), 1e-2, 2e-3, |a| train(&x, a));
    // Frozen statistics: BN is a per-channel affine map.
    let fixed: Vec<f32> = vec![0.3, 0.8, -0.2, 1.5, 0.1, 0.6];
    let bfixed = gpu.upload("fixed", &fixed);
    gpu.run(&[bn.backward_input(gpu, Statistics::Fixed, &bx, &br, &bfixed, &baff, &daff, &dx).unwrap()]).unwrap();
    check_fd("batch norm input (fixed statistics)", &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
        dot(&r, &cpu::batch_norm_forward(&bn, x, &fixed, &affine))
    });
}

#[test]
fn linear_backward_paths_match_finite_differences() {
    // Channel scale (the BN-folding un-scale), concat and add route gradients linearly.
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(44);
    use wgpu_qat::ops::concat::ConcatParams;
    use wgpu_qat::ops::elementwise::ChannelScaleParams;
    let x = random(&mut rng, 60);
    let s = random(&mut rng, 4);
    let r = random(&mut rng, 60);
    let dx = gpu.storage("dx", 60);
    // d/dx sum r * (x * s) = r * s: the same kernel applied to r.
    gpu.run(&[ChannelScaleParams::new(60, 4).dispatch(gpu, &gpu.upload("r", &r), &gpu.upload("s", &s), &dx).unwrap()])
        .unwrap();
    check_fd("channel scale", &x, &read(gpu, &dx, 60), 1e-2, 1e-3, |x| dot(&r, &cpu::channel_scale(x, &s, 1)));
    let p = ConcatParams { pixels: 10, c_in: 3, c_out: 5, offset: 2 };
    let x = random(&mut rng, p.len_in());
    let r = random(&mut rng, 50);
    let dx = gpu.storage("dx", p.len_in());
    gpu.run(&[p.backward(gpu, &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
    check_fd("concat", &x, &read(gpu, &dx, p.len_in()), 1e-2, 1e-3, |x| {
        let mut y = vec![0.0; 50];
        cpu::concat_forward(&p, x, &mut y);
        dot(&r, &y)
    });
    // Add: each input's gradient is the output's.
    let (a, b) = (random(&mut rng, 20), random(&mut rng, 20));
    let r = random(&mut rng, 20);
    check_fd("add", &a, &r, 1e-2, 1e-3, |a| dot(&r, &cpu::add(a, &b)));
}
