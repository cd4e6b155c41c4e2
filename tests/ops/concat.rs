//! The concat kernels against their CPU twins and finite differences.

use crate::prelude::*;

#[test]
fn concat_matches_cpu_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(341);
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
    concat::twin::concat_forward(&p1, &x1, &mut want);
    concat::twin::concat_forward(&p2, &x2, &mut want);
    let got = read(gpu, &y, want.len());
    assert_eq!(got, want);
    let dx2 = gpu.storage("dx2", p2.len_in());
    run(gpu, p2.backward(gpu, &y, &dx2).unwrap());
    assert_eq!(read(gpu, &dx2, p2.len_in()), x2);
    assert_eq!(concat::twin::concat_backward(&p1, &got), x1);
}

#[test]
fn concat_gradient_matches_finite_differences() {
    // Concat routes each output's gradient back to its input slice.
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(441);
    let p = ConcatParams { pixels: 10, c_in: 3, c_out: 5, offset: 2 };
    let x = random(&mut rng, p.len_in());
    let r = random(&mut rng, 50);
    let dx = gpu.storage("dx", p.len_in());
    gpu.run(&[p.backward(gpu, &gpu.upload("r", &r), &dx).unwrap()]).unwrap();
    check_fd("concat", &x, &read(gpu, &dx, p.len_in()), 1e-2, 1e-3, |x| {
        let mut y = vec![0.0; 50];
        concat::twin::concat_forward(&p, x, &mut y);
        dot(&r, &y)
    });
}
