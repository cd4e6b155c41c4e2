//! The dense layer's backward (matmuls and column sum) against finite differences.

use crate::prelude::*;

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
    let mut work = vec![
        s.backward_input(gpu, &br, &gpu.upload("w", &w), &dx).unwrap(),
        s.backward_weight(gpu, &gpu.upload("x", &x), &br, &dw).unwrap(),
    ];
    work.extend(s.backward_bias(gpu, &br, &db).unwrap());
    gpu.run(&work).unwrap();
    let f = |x: &[f32], w: &[f32], b: &[f32]| dot(&r, &matmul::twin::matmul_strided(&s.forward_params(), x, w, b));
    check_fd("dense input", &x, &read(gpu, &dx, x.len()), 1e-2, 1e-3, |x| f(x, &w, &b));
    check_fd("dense weight", &w, &read(gpu, &dw, w.len()), 1e-2, 1e-3, |w| f(&x, w, &b));
    check_fd("dense bias", &b, &read(gpu, &db, b.len()), 1e-2, 1e-3, |b| f(&x, &w, b));
}
