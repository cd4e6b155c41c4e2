//! Twins of the global average pooling kernels.

use crate::ops::global_avg_pool::GlobalAvgPoolParams;

/// Twin of global_avg_pool/forward.wgsl.
pub fn global_avg_pool_forward(p: &GlobalAvgPoolParams, x: &[f32]) -> Vec<f32> {
    let (hw, c) = (p.hw as usize, p.c as usize);
    (0..p.output_len()).map(|i| (0..hw).map(|k| x[(i / c * hw + k) * c + i % c]).sum::<f32>() / hw as f32).collect()
}

/// Twin of global_avg_pool/backward.wgsl.
pub fn global_avg_pool_backward(p: &GlobalAvgPoolParams, dy: &[f32]) -> Vec<f32> {
    let (hw, c) = (p.hw as usize, p.c as usize);
    (0..p.input_len()).map(|i| dy[i / (hw * c) * c + i % c] / hw as f32).collect()
}
