//! Dispatch plumbing shared by every op: large grids folded into two dimensions, and readbacks.

use crate::prelude::*;

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
