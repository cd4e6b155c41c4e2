//! Twins of the matmul and column-sum kernels.

use crate::ops::matmul::MatmulParams;

/// Twin of matmul/strided.wgsl.
pub fn matmul_strided(p: &MatmulParams, a: &[f32], b: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut c = vec![0.0; (p.m * p.n) as usize];
    for row in 0..p.m {
        for col in 0..p.n {
            let mut acc = if p.has_bias != 0 { bias[col as usize] } else { 0.0 };
            for k in 0..p.k {
                acc += a[(row * p.a_sm + k * p.a_sk) as usize] * b[(k * p.b_sk + col * p.b_sn) as usize];
            }
            c[(row * p.n + col) as usize] = acc;
        }
    }
    c
}

/// Twin of reduce/column_sum.wgsl.
pub fn column_sum(rows: usize, cols: usize, a: &[f32]) -> Vec<f32> {
    (0..cols).map(|c| (0..rows).map(|r| a[r * cols + c]).sum()).collect()
}
