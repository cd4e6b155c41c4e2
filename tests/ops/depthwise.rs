//! The depthwise conv kernels against their CPU twins and finite differences.

use crate::prelude::*;

#[test]
fn depthwise_kernels_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(31);
    let mut cases = vec![
        Depthwise::new(2, [14, 14, 32], [3, 3], 1, Padding::Same).unwrap(),
        Depthwise::new(2, [14, 14, 64], [3, 3], 2, Padding::Same).unwrap(),
        // More than 16 taps (two tap blocks of the weight gradient), channels not a multiple of 4.
        Depthwise::new(2, [9, 8, 6], [5, 5], 1, Padding::Same).unwrap(),
        // Enough positions that the weight gradient's partial sums span several workgroups.
        Depthwise::new(8, [24, 24, 8], [3, 3], 1, Padding::Same).unwrap(),
        // Too many weights for a workgroup of partial-sum rows (36,864: 56 lanes).
        Depthwise::new(1, [4, 4, 4096], [3, 3], 1, Padding::Same).unwrap(),
        // PyTorch's padding: symmetric with stride 2, and uneven sides (vec4 channels and not).
        Depthwise::new(2, [14, 14, 32], [3, 3], 2, pads([1, 1, 1, 1])).unwrap(),
        Depthwise::new(2, [9, 8, 6], [5, 5], 1, pads([2, 0, 4, 1])).unwrap(),
    ];
    for _ in 0..5 {
        let shape = [3 + rng.below(8) as u32, 3 + rng.below(8) as u32, 1 + rng.below(9) as u32];
        let k = [1 + rng.below(3) as u32, 1 + rng.below(3) as u32];
        let padding = any_padding(&mut rng, k);
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
        let mut work = vec![
            d.forward(gpu, &bx, &bw, &gpu.upload("b", &b), &y).unwrap(),
            d.backward_input(gpu, &bdy, &bw, &dx).unwrap(),
        ];
        work.extend(d.backward_weight(gpu, &bx, &bdy, &dw).unwrap());
        gpu.run(&work).unwrap();
        let taps = (p.kh * p.kw) as usize;
        assert_close(
            &format!("depthwise forward {p:?}"),
            &read(gpu, &y, p.output_len()),
            &depthwise::twin::depthwise_forward(&p, &x, &w, &b),
            sum_tol(taps),
        );
        assert_close(
            &format!("depthwise backward_input {p:?}"),
            &read(gpu, &dx, p.input_len()),
            &depthwise::twin::depthwise_backward_input(&p, &dy, &w),
            sum_tol(taps),
        );
        let rows = (p.n * p.oh * p.ow) as usize;
        assert_close(
            &format!("depthwise backward_weight {p:?}"),
            &read(gpu, &dw, d.weight_len()),
            &depthwise::twin::depthwise_backward_weight(&p, &x, &dy),
            sum_tol(rows),
        );
    }
}

#[test]
fn depthwise_gradients_match_finite_differences() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(41);
    for (shape, k, stride, padding) in [
        ([6, 7, 3], [3, 3], 1, Padding::Same),
        ([7, 7, 4], [3, 3], 2, Padding::Same),
        ([5, 6, 2], [2, 3], 1, Padding::Valid),
        ([7, 7, 4], [3, 3], 2, pads([1, 1, 1, 1])),
        ([6, 5, 3], [3, 2], 1, pads([0, 2, 1, 0])),
    ] {
        let d = Depthwise::new(2, shape, k, stride, padding).unwrap();
        let p = *d.params();
        let x = random(&mut rng, p.input_len());
        let w = random(&mut rng, d.weight_len());
        let b = random(&mut rng, p.c as usize);
        let r = random(&mut rng, p.output_len());
        let br = gpu.upload("r", &r);
        let (dx, dw) = (gpu.storage("dx", p.input_len()), gpu.storage("dw", d.weight_len()));
        let mut work = vec![d.backward_input(gpu, &br, &gpu.upload("w", &w), &dx).unwrap()];
        work.extend(d.backward_weight(gpu, &gpu.upload("x", &x), &br, &dw).unwrap());
        gpu.run(&work).unwrap();
        check_fd(&format!("depthwise input {p:?}"), &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| {
            dot(&r, &depthwise::twin::depthwise_forward(&p, x, &w, &b))
        });
        check_fd(&format!("depthwise weight {p:?}"), &w, &read(gpu, &dw, w.len()), 1e-2, 1e-3, |w| {
            dot(&r, &depthwise::twin::depthwise_forward(&p, &x, w, &b))
        });
    }
}
