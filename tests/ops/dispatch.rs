//! Dispatch plumbing shared by every op: large grids folded into two dimensions, readbacks, and
//! specialization constants.

use crate::prelude::*;
use wgpu_qat::gpu::{dispatch::Dispatch, dispatch::Grid, pipelines::Specialization};

#[test]
fn large_dispatches_fold_into_two_dimensions() {
    let Some(gpu) = gpu() else { return };
    // 5M elements need more than 65535 workgroups of 64.
    let n = 5_000_000;
    let x: Vec<f32> = (0..n).map(|i| if i % 3 == 0 { -(i as f32) } else { i as f32 }).collect();
    let y = gpu.storage("y", n);
    run(gpu, ReluParams::new(n).forward(gpu, &gpu.upload("x", &x), &y).unwrap());
    assert_eq!(read(gpu, &y, n), relu::twin::relu_forward(&x));
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

#[test]
fn a_launch_must_set_exactly_the_declared_constants() {
    let Some(gpu) = gpu() else { return };
    let p = Conv2dParams::new(1, [5, 5, 1], 4, [3, 3], 1, Padding::Valid).unwrap();
    let b = |n| gpu.storage("b", n);
    let (x, w, bias, y) = (b(p.input_len()), b(p.weight_len()), b(4), b(p.output_len()));
    let full = p.spatial_specialization().with("RELU", false).with("CAP", 0.0);
    let mut missing = full.clone();
    missing.0.pop();
    for constants in [Specialization::default(), missing] {
        let err = Dispatch::specialized(
            gpu,
            &wgpu_qat::ops::conv2d::FORWARD,
            &constants,
            &p,
            &[&x, &w, &bias, &y],
            Grid(1, 1, 1),
        )
        .err()
        .expect("a launch without the declared constants must be refused");
        assert!(err.to_string().contains("the kernel declares"), "{err}");
    }
    Dispatch::specialized(gpu, &wgpu_qat::ops::conv2d::FORWARD, &full, &p, &[&x, &w, &bias, &y], Grid(1, 1, 1))
        .unwrap();
}
