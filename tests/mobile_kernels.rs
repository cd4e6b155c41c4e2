//! The MobileNet-class kernels (depthwise conv, capped ReLU, average and global average
//! pooling, add, channel scale, concat, batch norm) against their CPU twins on random shapes.
//! Tolerances as in kernels.rs: sums of k terms at 32 eps sqrt(k) relative, copies exact.

mod common;

use common::{assert_close, gpu, random, read, run, sum_tol};
use wgpu_qat::data::rng::Rng;
use wgpu_qat::ops::avg_pool::{AvgPoolParams, GlobalAvgPoolParams};
use wgpu_qat::ops::batch_norm::{BatchNorm, Statistics, MOMENTUM};
use wgpu_qat::ops::concat::ConcatParams;
use wgpu_qat::ops::conv2d::Padding;
use wgpu_qat::ops::depthwise::Depthwise;
use wgpu_qat::ops::elementwise::{AddParams, ChannelScaleParams};
use wgpu_qat::ops::relu::ReluParams;
use wgpu_qat::reference::f32 as cpu;

#[test]
fn depthwise_kernels_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(31);
    let mut cases = vec![
        Depthwise::new(2, [14, 14, 32], [3, 3], 1, Padding::Same).unwrap(),
        Depthwise::new(2, [14, 14, 64], [3, 3], 2, Padding::Same).unwrap(),
    ];
    for _ in 0..5 {
        let shape = [3 + rng.below(8) as u32, 3 + rng.below(8) as u32, 1 + rng.below(9) as u32];
        let k = [1 + rng.below(3) as u32, 1 + rng.below(3) as u32];
        let padding = if rng.below(2) == 0 { Padding::Valid } else { Padding::Same };
        cases.push(Depthwise::new(1 + rng.below(3) as u32, shape, k, 1 + rng.below(2) as u32, padding).unwrap());
    }
    for d in cases {
        let p = *d.params();
        let x = random(&mut rng, p.input_len());
        let w = random(&mut rng, d.weight_len());
        let b = random(&mut rng, p.c as usize);
        let dy = random(&mut rng, p.output_len());
        let (bx, bw, bdy) = (gpu.upload("x", &x), gpu.upload("w", &w), gpu.upload("dy", &dy));
        let (y, dx, dw) =
            (gpu.storage("y", p.output_len()), gpu.storage("dx", p.input_len()), gpu.storage("dw", d.weight_len()));
        gpu.run(&[
            d.forward(gpu, &bx, &bw, &gpu.upload("b", &b), &y).unwrap(),
            d.backward_input(gpu, &bdy, &bw, &dx).unwrap(),
            d.backward_weight(gpu, &bx, &bdy, &dw).unwrap(),
        ])
        .unwrap();
        let taps = (p.kh * p.kw) as usize;
        assert_close(
            &format!("depthwise forward {p:?}"),
            &read(gpu, &y, p.output_len()),
            &cpu::depthwise_forward(&p, &x, &w, &b),
            sum_tol(taps),
        );
        assert_close(
            &format!("depthwise backward_input {p:?}"),
            &read(gpu, &dx, p.input_len()),
            &cpu::depthwise_backward_input(&p, &dy, &w),
            sum_tol(taps),
        );
        let rows = (p.n * p.oh * p.ow) as usize;
        assert_close(
            &format!("depthwise backward_weight {p:?}"),
            &read(gpu, &dw, d.weight_len()),
            &cpu::depthwise_backward_weight(&p, &x, &dy),
            sum_tol(rows),
        );
    }
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
    assert_eq!(read(gpu, &y, 999), cpu::relu_capped_forward(&x, 6.0));
    assert_eq!(read(gpu, &dx, 999), cpu::relu_capped_backward(&x, &dy, 6.0));
}

#[test]
fn average_pooling_matches_cpu() {
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
            &cpu::avg_pool_forward(&p, &x),
            tol,
        );
        assert_close(
            &format!("avg pool backward {p:?}"),
            &read(gpu, &dx, p.input_len()),
            &cpu::avg_pool_backward(&p, &dy),
            tol,
        );
    }
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
        &cpu::global_avg_pool_forward(&p, &x),
        sum_tol(49),
    );
    assert_close("global avg backward", &read(gpu, &dx, p.input_len()), &cpu::global_avg_pool_backward(&p, &dy), 1e-7);
}

#[test]
fn add_scale_and_concat_match_cpu_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(34);
    let (a, b) = (random(&mut rng, 500), random(&mut rng, 500));
    let y = gpu.storage("y", 500);
    run(gpu, AddParams::new(500).dispatch(gpu, &gpu.upload("a", &a), &gpu.upload("b", &b), &y).unwrap());
    assert_eq!(read(gpu, &y, 500), cpu::add(&a, &b));
    let s = random(&mut rng, 5);
    run(gpu, ChannelScaleParams::new(500, 5).dispatch(gpu, &gpu.upload("a", &a), &gpu.upload("s", &s), &y).unwrap());
    assert_eq!(read(gpu, &y, 500), cpu::channel_scale(&a, &s, 1));
    run(
        gpu,
        ChannelScaleParams::with_inner(500, 5, 20)
            .dispatch(gpu, &gpu.upload("a", &a), &gpu.upload("s", &s), &y)
            .unwrap(),
    );
    assert_eq!(read(gpu, &y, 500), cpu::channel_scale(&a, &s, 20));

    let pixels = 13;
    let (c1, c2) = (3, 5);
    let (x1, x2) = (random(&mut rng, pixels * c1), random(&mut rng, pixels * c2));
    let p1 = ConcatParams { pixels: pixels as u32, c_in: c1 as u32, c_out: (c1 + c2) as u32, offset: 0 };
    let p2 = ConcatParams { c_in: c2 as u32, offset: c1 as u32, ..p1 };
    let y = gpu.storage("y", pixels * (c1 + c2));
    gpu.run(&[
        p1.forward(gpu, &gpu.upload("x1", &x1), &y).unwrap(),
        p2.forward(gpu, &gpu.upload("x2", &x2), &y).unwrap(),
    ])
    .unwrap();
    let mut want = vec![0.0; pixels * (c1 + c2)];
    cpu::concat_forward(&p1, &x1, &mut want);
    cpu::concat_forward(&p2, &x2, &mut want);
    let got = read(gpu, &y, want.len());
    assert_eq!(got, want);
    let dx2 = gpu.storage("dx2", p2.len_in());
    run(gpu, p2.backward(gpu, &y, &dx2).unwrap());
    assert_eq!(read(gpu, &dx2, p2.len_in()), x2);
    assert_eq!(cpu::concat_backward(&p1, &got), x1);
}

#[test]
fn batch_norm_kernels_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(35);
    for (rows, channels) in [(2 * 14 * 14, 32), (37, 3), (1000, 1)] {
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
        gpu.run(&[
            bn.statistics(gpu, &bx, &stats).unwrap(),
            bn.forward(gpu, &bx, &stats, &baff, &y).unwrap(),
            bn.backward_affine(gpu, &bx, &bdy, &stats, &daff).unwrap(),
            bn.backward_input(gpu, Statistics::Batch, &bx, &bdy, &stats, &baff, &daff, &dx).unwrap(),
            bn.update_moving(gpu, MOMENTUM, &stats, &moving).unwrap(),
        ])
        .unwrap();
        let want_stats = cpu::batch_norm_statistics(&bn, &x);
        let tol = sum_tol(rows as usize);
        assert_close("bn statistics", &read(gpu, &stats, 2 * c), &want_stats, tol);
        assert_close(
            "bn forward",
            &read(gpu, &y, bn.len()),
            &cpu::batch_norm_forward(&bn, &x, &want_stats, &affine),
            1e-4,
        );
        let want_daff = cpu::batch_norm_backward_affine(&bn, &x, &dy, &want_stats);
        assert_close("bn dgamma/dbeta", &read(gpu, &daff, 2 * c), &want_daff, 1e-4);
        let want_dx = cpu::batch_norm_backward_input(&bn, Statistics::Batch, &x, &dy, &want_stats, &affine, &want_daff);
        assert_close("bn dx (batch statistics)", &read(gpu, &dx, bn.len()), &want_dx, 1e-3);
        let mut want_moving = vec![0.5f32; 2 * c];
        cpu::batch_norm_update_moving(MOMENTUM, &want_stats, &mut want_moving);
        assert_close("bn moving", &read(gpu, &moving, 2 * c), &want_moving, 1e-5);
        let (fs, finv) = (gpu.storage("s", c), gpu.storage("inv", c));
        run(gpu, bn.fold_scale(gpu, &baff, &moving, &fs, &finv).unwrap());
        let (ws, winv) = cpu::batch_norm_fold_scale(&bn, &affine, &want_moving);
        assert_close("bn fold scale", &read(gpu, &fs, c), &ws, 1e-6);
        assert_close("bn fold inverse scale", &read(gpu, &finv, c), &winv, 1e-6);
        run(gpu, bn.backward_input(gpu, Statistics::Fixed, &bx, &bdy, &moving, &baff, &daff, &dx).unwrap());
        let want_fixed =
            cpu::batch_norm_backward_input(&bn, Statistics::Fixed, &x, &dy, &want_moving, &affine, &want_daff);
        assert_close("bn dx (fixed statistics)", &read(gpu, &dx, bn.len()), &want_fixed, 1e-5);
    }
}
