//! Twins of the matmul kernels.

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
