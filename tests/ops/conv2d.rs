//! The conv2d kernels (forward, backward input, backward weight) against their CPU twins, and the
//! backward kernels against finite differences.

use crate::prelude::*;

fn conv_cases(rng: &mut Rng) -> Vec<Conv2dParams> {
    let mut v = vec![
        Conv2dParams::new(2, [28, 28, 1], 12, [3, 3], 1, Padding::Valid).unwrap(),
        // Enough positions that the weight gradient's partial sums span several workgroups.
        Conv2dParams::new(8, [28, 28, 2], 8, [3, 3], 1, Padding::Same).unwrap(),
        // Channels multiples of 4 (vec4 loads of x, dy and the weights in every kernel), several
        // tap blocks in the weight gradient.
        Conv2dParams::new(2, [9, 9, 8], 16, [3, 3], 1, Padding::Same).unwrap(),
        Conv2dParams::new(2, [9, 8, 4], 8, [3, 3], 2, Padding::Valid).unwrap(),
        // More output channels than one forward block (16) holds.
        Conv2dParams::new(1, [5, 6, 3], 37, [3, 3], 2, Padding::Same).unwrap(),
        // One tap block in the weight gradient with output channels in several blocks of four
        // vec4s, the last one partial (20), and a count that is not a multiple of 4 (13).
        Conv2dParams::new(3, [9, 7, 1], 20, [3, 3], 1, Padding::Valid).unwrap(),
        Conv2dParams::new(2, [6, 6, 1], 13, [2, 3], 1, Padding::Same).unwrap(),
        // Pointwise: gradients run as GEMMs (blocked vec4 when channels % 4 == 0, else strided).
        Conv2dParams::new(2, [7, 7, 8], 12, [1, 1], 1, Padding::Same).unwrap(),
        Conv2dParams::new(2, [5, 4, 3], 5, [1, 1], 1, Padding::Valid).unwrap(),
        // A filter too large for a workgroup of partial-sum rows (36,864 weights: 56 lanes).
        Conv2dParams::new(1, [4, 4, 64], 64, [3, 3], 1, Padding::Same).unwrap(),
        // PyTorch's padding: symmetric with stride 2 (not TensorFlow's "same" there), a 7x7 stem,
        // and uneven sides.
        Conv2dParams::new(2, [8, 8, 4], 8, [3, 3], 2, pads([1, 1, 1, 1])).unwrap(),
        Conv2dParams::new(1, [16, 15, 3], 8, [7, 7], 2, pads([3, 3, 3, 3])).unwrap(),
        Conv2dParams::new(2, [6, 7, 2], 5, [3, 2], 1, pads([0, 2, 1, 0])).unwrap(),
    ];
    for _ in 0..6 {
        let h = 3 + rng.below(9) as u32;
        let w = 3 + rng.below(9) as u32;
        let c = 1 + rng.below(5) as u32;
        let o = 1 + rng.below(6) as u32;
        let k = [1 + rng.below(3) as u32, 1 + rng.below(3) as u32];
        let stride = 1 + rng.below(2) as u32;
        let padding = any_padding(rng, k);
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
        gpu.run(&p.forward(gpu, &bx, &bw, &bb, &y, None).unwrap()).unwrap();
        let k = (p.kh * p.kw * p.c) as usize;
        let z = conv2d::twin::conv2d_forward(&p, &x, &w, &b);
        assert_close(&format!("conv forward {p:?}"), &read(gpu, &y, p.output_len()), &z, sum_tol(k));
        // With the ReLU fused (the GEMM path has none and refuses it).
        for cap in [f32::MAX, 0.5] {
            let fused = p.forward(gpu, &bx, &bw, &bb, &y, Some(cap));
            if p.forward_is_gemm() {
                assert!(fused.is_err());
                continue;
            }
            gpu.run(&fused.unwrap()).unwrap();
            assert_close(
                &format!("conv forward + ReLU capped at {cap} {p:?}"),
                &read(gpu, &y, p.output_len()),
                &relu::twin::relu_capped_forward(&z, cap),
                sum_tol(k),
            );
        }
        let dx = gpu.storage("dx", p.input_len());
        run(gpu, p.backward_input(gpu, &bdy, &bw, &dx).unwrap());
        let kin = (p.kh * p.kw * p.o) as usize;
        assert_close(
            &format!("conv backward_input {p:?}"),
            &read(gpu, &dx, p.input_len()),
            &conv2d::twin::conv2d_backward_input(&p, &dy, &w),
            sum_tol(kin),
        );
        // Both shapes of the weight gradient (they differ for pointwise convs), with the bias
        // gradient and without.
        for strategy in [Strategy::CpuLanes, Strategy::GpuWide] {
            let (dw, db) = (gpu.storage("dw", p.weight_len()), gpu.storage("db", p.o as usize));
            gpu.run(&p.backward_weight_for(strategy, gpu, &bx, &bdy, &dw, Some(&db)).unwrap()).unwrap();
            let kw = (p.n * p.oh * p.ow) as usize;
            assert_close(
                &format!("conv backward_weight {strategy:?} {p:?}"),
                &read(gpu, &dw, p.weight_len()),
                &conv2d::twin::conv2d_backward_weight(&p, &x, &dy),
                sum_tol(kw),
            );
            assert_close(
                &format!("conv bias gradient {strategy:?} {p:?}"),
                &read(gpu, &db, p.o as usize),
                &reduce::twin::column_sum(kw, p.o as usize, &dy),
                sum_tol(kw),
            );
            let dw_alone = gpu.storage("dw", p.weight_len());
            gpu.run(&p.backward_weight_for(strategy, gpu, &bx, &bdy, &dw_alone, None).unwrap()).unwrap();
            assert_eq!(read(gpu, &dw_alone, p.weight_len()), read(gpu, &dw, p.weight_len()));
        }
    }
}

#[test]
fn conv2d_gradients_match_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(21);
    for (shape, o, k, stride, padding) in [
        ([6, 7, 2], 3, [3, 3], 1, Padding::Valid),
        ([7, 6, 3], 2, [3, 2], 2, Padding::Same),
        ([5, 5, 1], 4, [1, 1], 1, Padding::Same),
        ([6, 5, 8], 6, [1, 1], 1, Padding::Valid),
        ([6, 7, 2], 3, [3, 3], 2, pads([1, 1, 1, 1])),
        ([5, 6, 3], 2, [3, 2], 1, pads([2, 0, 0, 1])),
    ] {
        let p = Conv2dParams::new(2, shape, o, k, stride, padding).unwrap();
        let x = random(&mut rng, p.input_len());
        let w = random(&mut rng, p.weight_len());
        let b = random(&mut rng, p.o as usize);
        let r = random(&mut rng, p.output_len());
        let br = gpu.upload("r", &r);
        let (dx, dw, db) =
            (gpu.storage("dx", p.input_len()), gpu.storage("dw", p.weight_len()), gpu.storage("db", p.o as usize));
        let mut work = vec![p.backward_input(gpu, &br, &gpu.upload("w", &w), &dx).unwrap()];
        work.extend(p.backward_weight(gpu, &gpu.upload("x", &x), &br, &dw, Some(&db)).unwrap());
        gpu.run(&work).unwrap();
        let name = format!("conv2d {p:?}");
        check_fd(&format!("{name} input"), &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
            dot(&r, &conv2d::twin::conv2d_forward(&p, x, &w, &b))
        });
        check_fd(&format!("{name} weight"), &w, &read(gpu, &dw, w.len()), 1e-2, 1e-3, |w| {
            dot(&r, &conv2d::twin::conv2d_forward(&p, &x, w, &b))
        });
        check_fd(&format!("{name} bias"), &b, &read(gpu, &db, b.len()), 1e-2, 1e-3, |b| {
            dot(&r, &conv2d::twin::conv2d_forward(&p, &x, &w, b))
        });
    }
}

#[test]
fn weight_gradient_partial_sums_stay_within_their_budget() {
    use wgpu_qat::ops::conv2d::{weight_gradient_lanes, MAX_PARTIAL_SUMS};
    // ResNet-18's layers at batch 32 and 224 x 224 (positions, weights), and the extremes.
    for (positions, weights) in [
        (401_408, 9_408),
        (100_352, 36_864),
        (25_088, 147_456),
        (6_272, 589_824),
        (1_568, 2_359_296),
        (1, 1),
        (1 << 30, 1),
    ] {
        let lanes = weight_gradient_lanes(positions, weights);
        assert!(lanes >= 1, "{positions} positions, {weights} weights");
        assert!(
            lanes * weights <= MAX_PARTIAL_SUMS.max(weights),
            "{positions} positions, {weights} weights: {lanes} lanes"
        );
        assert!(lanes < 64 || lanes.is_multiple_of(64), "{lanes} lanes: whole workgroups when there are more than one");
    }
}
