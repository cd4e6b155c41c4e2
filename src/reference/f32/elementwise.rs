//! Twins of the elementwise and concatenation kernels.

use crate::ops::concat::ConcatParams;

/// Twin of elementwise/add.wgsl.
pub fn add(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// Twin of elementwise/channel_scale.wgsl: element i scaled by s[(i / inner) % s.len()].
pub fn channel_scale(x: &[f32], s: &[f32], inner: usize) -> Vec<f32> {
    x.iter().enumerate().map(|(i, v)| v * s[(i / inner.max(1)) % s.len()]).collect()
}

/// Twin of concat/forward.wgsl: writes input `x` into its channel slice of `y`.
pub fn concat_forward(p: &ConcatParams, x: &[f32], y: &mut [f32]) {
    for px in 0..p.pixels as usize {
        for ch in 0..p.c_in as usize {
            y[px * p.c_out as usize + p.offset as usize + ch] = x[px * p.c_in as usize + ch];
        }
    }
}

/// Twin of concat/backward.wgsl.
pub fn concat_backward(p: &ConcatParams, dy: &[f32]) -> Vec<f32> {
    let mut dx = vec![0.0; p.len_in()];
    for px in 0..p.pixels as usize {
        for ch in 0..p.c_in as usize {
            dx[px * p.c_in as usize + ch] = dy[px * p.c_out as usize + p.offset as usize + ch];
        }
    }
    dx
}
