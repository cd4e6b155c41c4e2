//! The column-sum kernel (bias gradients) against its CPU twin.

use crate::prelude::*;

#[test]
fn column_sum_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(121);
    // Short matrices (one stage) and tall ones (blocks of rows, then their sums).
    for tall in [false, false, false, true, true, true] {
        let rows = if tall { 9000 + rng.below(40000) } else { 1 + rng.below(3000) };
        let cols = 1 + rng.below(20);
        let a = random(&mut rng, rows * cols);
        let s = gpu.storage("sums", cols);
        gpu.run(&ColumnSumParams::new(rows as u32, cols as u32).dispatch(gpu, &gpu.upload("a", &a), &s).unwrap())
            .unwrap();
        assert_close("column_sum", &read(gpu, &s, cols), &reduce::twin::column_sum(rows, cols, &a), sum_tol(rows));
    }
}
