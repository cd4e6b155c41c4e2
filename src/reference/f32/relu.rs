//! Twins of the (capped) ReLU kernels.

/// Twin of relu/forward.wgsl with cap f32::MAX (plain ReLU).
pub fn relu_forward(x: &[f32]) -> Vec<f32> {
    relu_capped_forward(x, f32::MAX)
}

/// Twin of relu/backward.wgsl with cap f32::MAX.
pub fn relu_backward(x: &[f32], dy: &[f32]) -> Vec<f32> {
    relu_capped_backward(x, dy, f32::MAX)
}

/// Twin of relu/forward.wgsl: min(max(x, 0), cap).
pub fn relu_capped_forward(x: &[f32], cap: f32) -> Vec<f32> {
    x.iter().map(|v| v.max(0.0).min(cap)).collect()
}

/// Twin of relu/backward.wgsl: dy where 0 < x < cap.
pub fn relu_capped_backward(x: &[f32], dy: &[f32], cap: f32) -> Vec<f32> {
    x.iter().zip(dy).map(|(x, d)| if *x > 0.0 && *x < cap { *d } else { 0.0 }).collect()
}
