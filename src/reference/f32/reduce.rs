//! Twin of the column-sum kernel.

/// Twin of reduce/column_sum.wgsl.
pub fn column_sum(rows: usize, cols: usize, a: &[f32]) -> Vec<f32> {
    (0..cols).map(|c| (0..rows).map(|r| a[r * cols + c]).sum()).collect()
}
