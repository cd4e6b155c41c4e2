//! Twins of the elementwise kernels.

/// Twin of elementwise/add.wgsl.
pub fn add(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// Twin of elementwise/channel_scale.wgsl: element i scaled by s[(i / inner) % s.len()].
pub fn channel_scale(x: &[f32], s: &[f32], inner: usize) -> Vec<f32> {
    x.iter().enumerate().map(|(i, v)| v * s[(i / inner.max(1)) % s.len()]).collect()
}
