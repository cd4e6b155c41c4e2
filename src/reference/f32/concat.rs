//! Twins of the concatenation kernels.

use crate::ops::concat::ConcatParams;

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
