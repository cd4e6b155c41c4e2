//! The column-sum kernel (bias gradients) against its CPU twin.

use crate::prelude::*;

#[test]
fn column_sum_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(121);
    for _ in 0..6 {
        let rows = 1 + rng.below(3000);
        let cols = 1 + rng.below(20);
        let a = random(&mut rng, rows * cols);
        let s = gpu.storage("sums", cols);
        run(gpu, ColumnSumParams::new(rows as u32, cols as u32).dispatch(gpu, &gpu.upload("a", &a), &s).unwrap());
        assert_close("column_sum", &read(gpu, &s, cols), &cpu::column_sum(rows, cols, &a), sum_tol(rows));
    }
}
