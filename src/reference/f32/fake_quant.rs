//! Twins of the fake-quant kernels.
use crate::quant::fake_quant::{nudge, Grid};

/// Twin of fake_quant/forward.wgsl (ranges: [min, max] per channel).
pub fn fake_quant_forward(x: &[f32], ranges: &[f32], channels: usize, inner: usize, grid: Grid) -> Vec<f32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = (i / inner) % channels;
            nudge(ranges[2 * c], ranges[2 * c + 1], grid).fake_quant(v)
        })
        .collect()
}

/// Twin of fake_quant/backward.wgsl.
pub fn fake_quant_backward(
    x: &[f32],
    ranges: &[f32],
    dy: &[f32],
    channels: usize,
    inner: usize,
    grid: Grid,
) -> Vec<f32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = (i / inner) % channels;
            if nudge(ranges[2 * c], ranges[2 * c + 1], grid).passes_gradient(v) {
                dy[i]
            } else {
                0.0
            }
        })
        .collect()
}
