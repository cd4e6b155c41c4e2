//! Twins of the depthwise conv kernels (o == c, weights [KH, KW, C]).

use super::conv2d::for_each_window;
use crate::ops::conv2d::Conv2dParams;

/// Visits every (input index, weight index, output index) tap of a depthwise conv (o == c,
/// weights [KH, KW, C]).
fn for_each_depthwise_tap(p: &Conv2dParams, mut f: impl FnMut(usize, usize, usize)) {
    for_each_window(p, |b, oy, ox, ky, kx, iy, ix| {
        for ch in 0..p.c {
            let xi = ((b * p.h + iy) * p.w + ix) * p.c + ch;
            let wi = (ky * p.kw + kx) * p.c + ch;
            let yi = ((b * p.oh + oy) * p.ow + ox) * p.c + ch;
            f(xi as usize, wi as usize, yi as usize);
        }
    });
}

/// Twin of depthwise/forward.wgsl.
pub fn depthwise_forward(p: &Conv2dParams, x: &[f32], w: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut y: Vec<f32> = (0..p.output_len()).map(|i| bias[i % p.c as usize]).collect();
    for_each_depthwise_tap(p, |xi, wi, yi| y[yi] += x[xi] * w[wi]);
    y
}

/// Twin of depthwise/backward_input.wgsl.
pub fn depthwise_backward_input(p: &Conv2dParams, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let mut dx = vec![0.0; p.input_len()];
    for_each_depthwise_tap(p, |xi, wi, yi| dx[xi] += dy[yi] * w[wi]);
    dx
}

/// Twin of depthwise/backward_weight.wgsl.
pub fn depthwise_backward_weight(p: &Conv2dParams, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let mut dw = vec![0.0; (p.kh * p.kw * p.c) as usize];
    for_each_depthwise_tap(p, |xi, wi, yi| dw[wi] += dy[yi] * x[xi]);
    dw
}
