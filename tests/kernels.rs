//! Every WGSL kernel against its CPU twin in `reference::f32`, on random shapes and inputs.
//! Tolerances: sums of k products are compared at 32 eps sqrt(k) relative (ruy-style);
//! elementwise and integer-index results must match exactly.

mod common;

use common::{assert_close, gpu, random, read, run, sum_tol};
use wgpu_qat::data::rng::Rng;
use wgpu_qat::ops::adam::{AdamConfig, AdamParams, StepUniform};
use wgpu_qat::ops::conv2d::{Conv2dParams, Padding};
use wgpu_qat::ops::fake_quant::FakeQuantParams;
use wgpu_qat::ops::gather::GatherParams;
use wgpu_qat::ops::loss::{explode_limit, Health, LossParams, Totals, TOTALS_WORDS};
use wgpu_qat::ops::matmul::MatmulParams;
use wgpu_qat::ops::observer::{ActivationRangeParams, RangeMode, WeightRangeParams};
use wgpu_qat::ops::pool::MaxPoolParams;
use wgpu_qat::ops::reduce::ColumnSumParams;
use wgpu_qat::ops::relu::ReluParams;
use wgpu_qat::quant::fake_quant::Grid;
use wgpu_qat::reference::f32 as cpu;

fn conv_cases(rng: &mut Rng) -> Vec<Conv2dParams> {
    let mut v = vec![
        Conv2dParams::new(2, [28, 28, 1], 12, [3, 3], 1, Padding::Valid).unwrap(),
        // More output channels than one forward block (16) holds.
        Conv2dParams::new(1, [5, 6, 3], 37, [3, 3], 2, Padding::Same).unwrap(),
        // Pointwise: gradients run as GEMMs (blocked vec4 when channels % 4 == 0, else strided).
        Conv2dParams::new(2, [7, 7, 8], 12, [1, 1], 1, Padding::Same).unwrap(),
        Conv2dParams::new(2, [5, 4, 3], 5, [1, 1], 1, Padding::Valid).unwrap(),
    ];
    for _ in 0..6 {
        let h = 3 + rng.below(9) as u32;
        let w = 3 + rng.below(9) as u32;
        let c = 1 + rng.below(5) as u32;
        let o = 1 + rng.below(6) as u32;
        let k = [1 + rng.below(3) as u32, 1 + rng.below(3) as u32];
        let stride = 1 + rng.below(2) as u32;
        let padding = if rng.below(2) == 0 { Padding::Valid } else { Padding::Same };
        v.push(Conv2dParams::new(1 + rng.below(3) as u32, [h, w, c], o, k, stride, padding).unwrap());
    }
    v
}

#[test]
fn conv2d_kernels_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(11);
    for p in conv_cases(&mut rng) {
        let x = random(&mut rng, p.input_len());
        let w = random(&mut rng, p.weight_len());
        let b = random(&mut rng, p.o as usize);
        let dy = random(&mut rng, p.output_len());
        let (bx, bw, bb, bdy) = (gpu.upload("x", &x), gpu.upload("w", &w), gpu.upload("b", &b), gpu.upload("dy", &dy));
        let y = gpu.storage("y", p.output_len());
        run(gpu, p.forward(gpu, &bx, &bw, &bb, &y).unwrap());
        let k = (p.kh * p.kw * p.c) as usize;
        assert_close(
            &format!("conv forward {p:?}"),
            &read(gpu, &y, p.output_len()),
            &cpu::conv2d_forward(&p, &x, &w, &b),
            sum_tol(k),
        );
        let dx = gpu.storage("dx", p.input_len());
        run(gpu, p.backward_input(gpu, &bdy, &bw, &dx).unwrap());
        let kin = (p.kh * p.kw * p.o) as usize;
        assert_close(
            &format!("conv backward_input {p:?}"),
            &read(gpu, &dx, p.input_len()),
            &cpu::conv2d_backward_input(&p, &dy, &w),
            sum_tol(kin),
        );
        let dw = gpu.storage("dw", p.weight_len());
        run(gpu, p.backward_weight(gpu, &bx, &bdy, &dw).unwrap());
        let kw = (p.n * p.oh * p.ow) as usize;
        assert_close(
            &format!("conv backward_weight {p:?}"),
            &read(gpu, &dw, p.weight_len()),
            &cpu::conv2d_backward_weight(&p, &x, &dy),
            sum_tol(kw),
        );
    }
}

#[test]
fn matmul_and_column_sum_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(12);
    for _ in 0..6 {
        let (m, n, k) = (1 + rng.below(40) as u32, 1 + rng.below(40) as u32, 1 + rng.below(300) as u32);
        // Transposed layouts too: a stored [k, m], b stored [n, k].
        let ta = rng.below(2) == 1;
        let tb = rng.below(2) == 1;
        let p = MatmulParams {
            m,
            n,
            k,
            has_bias: rng.below(2) as u32,
            a_sm: if ta { 1 } else { k },
            a_sk: if ta { m } else { 1 },
            b_sk: if tb { 1 } else { n },
            b_sn: if tb { k } else { 1 },
        };
        let a = random(&mut rng, (m * k) as usize);
        let b = random(&mut rng, (k * n) as usize);
        let bias = random(&mut rng, n as usize);
        let want = cpu::matmul_strided(&p, &a, &b, &bias);
        let (ba, bb, bbias) = (gpu.upload("a", &a), gpu.upload("b", &b), gpu.upload("bias", &bias));
        let c = gpu.storage("c", (m * n) as usize);
        run(gpu, p.dispatch_strided(gpu, &ba, &bb, &bbias, &c).unwrap());
        assert_close(&format!("matmul/strided {p:?}"), &read(gpu, &c, (m * n) as usize), &want, sum_tol(k as usize));
        // The blocked kernel wherever it applies: same product with b row-major, n % 4 == 0.
        let n4 = 4 * n.div_ceil(4);
        let q = MatmulParams { n: n4, b_sk: n4, b_sn: 1, ..p };
        assert!(q.vec4_applies());
        let b4 = random(&mut rng, (k * n4) as usize);
        let bias4 = random(&mut rng, n4 as usize);
        let c4 = gpu.storage("c4", (m * n4) as usize);
        run(gpu, q.dispatch(gpu, &ba, &gpu.upload("b4", &b4), &gpu.upload("bias4", &bias4), &c4).unwrap());
        assert_close(
            &format!("matmul/row_major_b_vec4 {q:?}"),
            &read(gpu, &c4, (m * n4) as usize),
            &cpu::matmul_strided(&q, &a, &b4, &bias4),
            sum_tol(k as usize),
        );

        let rows = 1 + rng.below(3000);
        let cols = 1 + rng.below(20);
        let a = random(&mut rng, rows * cols);
        let s = gpu.storage("sums", cols);
        run(gpu, ColumnSumParams::new(rows as u32, cols as u32).dispatch(gpu, &gpu.upload("a", &a), &s).unwrap());
        assert_close("column_sum", &read(gpu, &s, cols), &cpu::column_sum(rows, cols, &a), sum_tol(rows));
    }
}

#[test]
fn relu_and_max_pool_match_cpu_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(13);
    let x = random(&mut rng, 1000);
    let dy = random(&mut rng, 1000);
    let p = ReluParams::new(1000);
    let (bx, bdy, y, dx) =
        (gpu.upload("x", &x), gpu.upload("dy", &dy), gpu.storage("y", 1000), gpu.storage("dx", 1000));
    run(gpu, p.forward(gpu, &bx, &y).unwrap());
    run(gpu, p.backward(gpu, &bx, &bdy, &dx).unwrap());
    assert_eq!(read(gpu, &y, 1000), cpu::relu_forward(&x));
    assert_eq!(read(gpu, &dx, 1000), cpu::relu_backward(&x, &dy));

    for (shape, k, s) in [([26, 26, 12], 2, 2), ([7, 9, 3], 2, 2), ([8, 8, 2], 3, 2), ([6, 5, 1], 3, 1)] {
        let p = MaxPoolParams::new(2, shape, k, s).unwrap();
        let x = random(&mut rng, p.input_len());
        let dy = random(&mut rng, p.output_len());
        let (y, arg, dx) =
            (gpu.storage("y", p.output_len()), gpu.storage("arg", p.output_len()), gpu.storage("dx", p.input_len()));
        let bx = gpu.upload("x", &x);
        run(gpu, p.forward(gpu, &bx, &y, &arg).unwrap());
        run(gpu, p.backward(gpu, &gpu.upload("dy", &dy), &arg, &dx).unwrap());
        let (cy, carg) = cpu::max_pool_forward(&p, &x);
        assert_eq!(read(gpu, &y, p.output_len()), cy, "max pool forward {p:?}");
        assert_eq!(gpu.read::<u32>(&arg, p.output_len()).unwrap(), carg, "max pool argmax {p:?}");
        // Overlapping windows add gradients in a different order: allow rounding.
        assert_close(
            &format!("max pool backward {p:?}"),
            &read(gpu, &dx, p.input_len()),
            &cpu::max_pool_backward(&p, &dy, &carg),
            1e-6,
        );
    }
}

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
    let step = |s: u32| wgpu_qat::gpu::buffers::uniform(&gpu.device, "step", &StepUniform::new(0, 1, 0.0, s));
    let read_totals = || Totals::from_words(&gpu.read::<u32>(&totals, TOTALS_WORDS).unwrap());
    run(
        gpu,
        p.forward_backward(gpu, &gpu.upload("logits", &logits), &gpu.upload("labels", &labels), &d, &per).unwrap(),
    );
    run(gpu, p.accumulate(gpu, &step(1), &per, &totals).unwrap());
    run(gpu, p.accumulate(gpu, &step(2), &per, &totals).unwrap());
    let (cd, cper) = cpu::softmax_cross_entropy(n, classes, &logits, &labels);
    assert_close("dlogits", &read(gpu, &d, n * classes), &cd, 1e-5);
    assert_close("per-sample", &read(gpu, &per, 2 * n), &cper, 1e-5);
    let mut want = Totals::default();
    cpu::accumulate_totals(&cper, &mut want, 1, limit);
    cpu::accumulate_totals(&cper, &mut want, 2, limit);
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
    let (_, cper) = cpu::softmax_cross_entropy(n, classes, &huge, &labels);
    cpu::accumulate_totals(&cper, &mut want, 3, limit);
    assert_eq!(read_totals().health, Health { exploding_loss: Some(3), ..Health::default() });
    assert_eq!(want.health.exploding_loss, Some(3));
    // A NaN logit at step 5 records step 5; the exploding step stays 3 (first seen).
    let mut bad = logits.clone();
    bad[3] = f32::NAN;
    run(gpu, p.forward_backward(gpu, &gpu.upload("logits", &bad), &gpu.upload("labels", &labels), &d, &per).unwrap());
    run(gpu, p.accumulate(gpu, &step(5), &per, &totals).unwrap());
    run(gpu, p.accumulate(gpu, &step(6), &per, &totals).unwrap());
    let (_, cper) = cpu::softmax_cross_entropy(n, classes, &bad, &labels);
    cpu::accumulate_totals(&cper, &mut want, 5, limit);
    let h = read_totals().health;
    assert_eq!(h, Health { exploding_loss: Some(3), non_finite_loss: Some(5), ..Health::default() });
    assert_eq!(want.health, h);
    assert_eq!(h.first_problem(limit).map(|(s, _)| s), Some(3));
}

#[test]
fn fake_quant_kernels_match_cpu_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(15);
    for (count, channels, inner, grid) in [
        (1000, 1, 1000, Grid::activation(8)),
        (12 * 9, 12, 9, Grid::weight(8)),
        (600, 5, 7, Grid::activation(8)),
        (300, 1, 300, Grid::new(4, false)),
    ] {
        let x: Vec<f32> = (0..count).map(|_| rng.uniform(-3.0, 3.0)).collect();
        let ranges: Vec<f32> = (0..channels).flat_map(|_| [rng.uniform(-2.0, 0.0), rng.uniform(0.1, 2.5)]).collect();
        let dy = random(&mut rng, count);
        let p = FakeQuantParams::new(count, channels, inner, grid);
        let (bx, br) = (gpu.upload("x", &x), gpu.upload("ranges", &ranges));
        let (y, dx) = (gpu.storage("y", count), gpu.storage("dx", count));
        run(gpu, p.forward(gpu, &bx, &br, &y).unwrap());
        run(gpu, p.backward(gpu, &bx, &br, &gpu.upload("dy", &dy), &dx).unwrap());
        let want = cpu::fake_quant_forward(&x, &ranges, channels, inner, grid);
        let got = read(gpu, &y, count);
        // Same f32 operations in the same order; allow one ulp-level difference from fused
        // multiply-add contraction on some drivers.
        assert_close(&format!("fake quant forward ({count}, {channels}, {inner})"), &got, &want, 1e-6);
        assert_eq!(read(gpu, &dx, count), cpu::fake_quant_backward(&x, &ranges, &dy, channels, inner, grid));
    }
}

#[test]
fn observers_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(16);
    for mode in [RangeMode::MovingAverage { decay: 0.9 }, RangeMode::AllSeen] {
        let range = gpu.storage("range", 3);
        let mut want = [0.0f32; 3];
        for step in 0..4 {
            let n = 500 + 1000 * step;
            let x: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0 - step as f32, 2.0 + step as f32)).collect();
            run(gpu, ActivationRangeParams::new(n, mode).dispatch(gpu, &gpu.upload("x", &x), &range).unwrap());
            cpu::activation_range_update(&x, &mut want, mode);
        }
        assert_close(&format!("activation range {mode:?}"), &read(gpu, &range, 3), &want, 1e-6);
    }
    // OHWI (contiguous channels), depthwise [KH, KW, C] (channel last), per tensor.
    for (count, channels, inner) in [(108, 12, 9), (9 * 32, 32, 1), (500, 1, 500)] {
        let w = random(&mut rng, count);
        let r = gpu.storage("wr", 2 * channels);
        run(gpu, WeightRangeParams::new(count, channels, inner).dispatch(gpu, &gpu.upload("w", &w), &r).unwrap());
        assert_eq!(
            read(gpu, &r, 2 * channels),
            cpu::weight_range(&w, channels, inner),
            "({count}, {channels}, {inner})"
        );
    }
}

#[test]
fn adam_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(17);
    let n = 777;
    let cfg = AdamConfig::default();
    let (mut w, mut m, mut v) = (random(&mut rng, n), vec![0.0; n], vec![0.0; n]);
    let (bw, bm, bv) = (gpu.upload("w", &w), gpu.storage("m", n), gpu.storage("v", n));
    let step = wgpu_qat::gpu::buffers::uniform(&gpu.device, "step", &StepUniform::new(0, 1, cfg.lr, 1));
    let totals = gpu.storage("totals", TOTALS_WORDS);
    for t in 1..=3 {
        let g = random(&mut rng, n);
        gpu.queue.write_buffer(&step, 0, bytemuck::bytes_of(&StepUniform::new(0, t, cfg.lr, t)));
        run(gpu, AdamParams::new(n, cfg).dispatch(gpu, &step, &gpu.upload("g", &g), &bw, &bm, &bv, &totals).unwrap());
        cpu::adam_update(cfg, t as f32, &g, &mut w, &mut m, &mut v);
    }
    assert_close("adam w", &read(gpu, &bw, n), &w, 1e-5);
    assert_close("adam m", &read(gpu, &bm, n), &m, 1e-5);
    assert_close("adam v", &read(gpu, &bv, n), &v, 1e-5);
    let health = || Totals::from_words(&gpu.read::<u32>(&totals, TOTALS_WORDS).unwrap()).health;
    assert_eq!(health(), Health::default(), "finite gradients and weights");
    // An infinite gradient at step 7 is recorded as the first non-finite gradient, and the
    // weight it makes non-finite too; a later NaN does not move either step.
    for (t, bad) in [(7u32, f32::INFINITY), (8, f32::NAN)] {
        let mut g = random(&mut rng, n);
        g[100] = bad;
        gpu.queue.write_buffer(&step, 0, bytemuck::bytes_of(&StepUniform::new(0, t, cfg.lr, t)));
        run(gpu, AdamParams::new(n, cfg).dispatch(gpu, &step, &gpu.upload("g", &g), &bw, &bm, &bv, &totals).unwrap());
    }
    assert_eq!(health(), Health { non_finite_gradient: Some(7), non_finite_weight: Some(7), ..Health::default() });
}

#[test]
fn gather_batch_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(18);
    let (count, pixels, batch) = (37usize, 15usize, 8usize);
    let split = wgpu_qat::bench::synthetic_split(count, pixels, 3);
    let ds = wgpu_qat::data::gpu::GpuDataset::upload(gpu, &split, pixels);
    let mut order: Vec<u32> = (0..count as u32).collect();
    rng.shuffle(&mut order);
    let step = wgpu_qat::gpu::buffers::uniform(&gpu.device, "step", &StepUniform::new(5, 1, 0.0, 1));
    let (x, y) = (gpu.storage("x", batch * pixels), gpu.storage("y", batch));
    run(
        gpu,
        GatherParams::new(batch as u32, pixels as u32)
            .dispatch(gpu, &step, &ds.images, &ds.labels, &gpu.upload("order", &order), &x, &y)
            .unwrap(),
    );
    let (cx, cy) = cpu::gather_batch(&split.images, &split.labels, pixels, &order, 5, batch);
    assert_close("gather images", &read(gpu, &x, batch * pixels), &cx, 1e-7);
    assert_eq!(gpu.read::<u32>(&y, batch).unwrap(), cy);
}

#[test]
fn large_dispatches_fold_into_two_dimensions() {
    let Some(gpu) = gpu() else { return };
    // 5M elements need more than 65535 workgroups of 64.
    let n = 5_000_000;
    let x: Vec<f32> = (0..n).map(|i| if i % 3 == 0 { -(i as f32) } else { i as f32 }).collect();
    let y = gpu.storage("y", n);
    run(gpu, ReluParams::new(n).forward(gpu, &gpu.upload("x", &x), &y).unwrap());
    assert_eq!(read(gpu, &y, n), cpu::relu_forward(&x));
}

#[test]
fn concurrent_readbacks_of_one_size_do_not_collide() {
    let Some(gpu) = gpu() else { return };
    std::thread::scope(|s| {
        for t in 0..4u32 {
            s.spawn(move || {
                let v: Vec<u32> = (0..4).map(|i| t * 10 + i).collect();
                let b = gpu.upload("v", &v);
                for _ in 0..50 {
                    assert_eq!(gpu.read::<u32>(&b, 4).unwrap(), v);
                }
            });
        }
    });
}
