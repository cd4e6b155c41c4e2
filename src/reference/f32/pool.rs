//! Twins of the pooling kernels.

use crate::ops::avg_pool::{AvgPoolParams, GlobalAvgPoolParams};
use crate::ops::pool::MaxPoolParams;

/// Twin of pool/max_forward.wgsl: (output, argmax input index).
pub fn max_pool_forward(p: &MaxPoolParams, x: &[f32]) -> (Vec<f32>, Vec<u32>) {
    let mut y = vec![0.0; p.output_len()];
    let mut arg = vec![0u32; p.output_len()];
    for b in 0..p.n {
        for oy in 0..p.oh {
            for ox in 0..p.ow {
                for ch in 0..p.c {
                    let mut best = f32::NEG_INFINITY;
                    let mut best_i = 0;
                    for ky in 0..p.k {
                        for kx in 0..p.k {
                            let i = ((b * p.h + oy * p.stride + ky) * p.w + ox * p.stride + kx) * p.c + ch;
                            if x[i as usize] > best || (ky == 0 && kx == 0) {
                                best = x[i as usize];
                                best_i = i;
                            }
                        }
                    }
                    let o = (((b * p.oh + oy) * p.ow + ox) * p.c + ch) as usize;
                    y[o] = best;
                    arg[o] = best_i;
                }
            }
        }
    }
    (y, arg)
}

/// Twin of pool/max_backward.wgsl.
pub fn max_pool_backward(p: &MaxPoolParams, dy: &[f32], argmax: &[u32]) -> Vec<f32> {
    let mut dx = vec![0.0; p.input_len()];
    for (o, &i) in argmax.iter().enumerate() {
        dx[i as usize] += dy[o];
    }
    dx
}

/// In-bounds (first, end) of window `o` along an axis of `size` (TF padding).
fn window(o: u32, stride: u32, k: u32, pad: u32, size: u32) -> (u32, u32) {
    let lo = (o * stride) as i64 - pad as i64;
    (lo.max(0) as u32, ((lo + k as i64).min(size as i64)).max(0) as u32)
}

/// Twin of pool/avg_forward.wgsl: the mean over in-bounds taps.
pub fn avg_pool_forward(p: &AvgPoolParams, x: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0; p.output_len()];
    for b in 0..p.n {
        for oy in 0..p.oh {
            let (y0, y1) = window(oy, p.stride, p.k, p.pad_top, p.h);
            for ox in 0..p.ow {
                let (x0, x1) = window(ox, p.stride, p.k, p.pad_left, p.w);
                for ch in 0..p.c {
                    let mut sum = 0.0;
                    for iy in y0..y1 {
                        for ix in x0..x1 {
                            sum += x[(((b * p.h + iy) * p.w + ix) * p.c + ch) as usize];
                        }
                    }
                    let count = ((y1 - y0) * (x1 - x0)).max(1);
                    y[(((b * p.oh + oy) * p.ow + ox) * p.c + ch) as usize] = sum / count as f32;
                }
            }
        }
    }
    y
}

/// Twin of pool/avg_backward.wgsl.
pub fn avg_pool_backward(p: &AvgPoolParams, dy: &[f32]) -> Vec<f32> {
    let mut dx = vec![0.0; p.input_len()];
    for b in 0..p.n {
        for oy in 0..p.oh {
            let (y0, y1) = window(oy, p.stride, p.k, p.pad_top, p.h);
            for ox in 0..p.ow {
                let (x0, x1) = window(ox, p.stride, p.k, p.pad_left, p.w);
                let count = ((y1 - y0) * (x1 - x0)).max(1) as f32;
                for ch in 0..p.c {
                    let g = dy[(((b * p.oh + oy) * p.ow + ox) * p.c + ch) as usize] / count;
                    for iy in y0..y1 {
                        for ix in x0..x1 {
                            dx[(((b * p.h + iy) * p.w + ix) * p.c + ch) as usize] += g;
                        }
                    }
                }
            }
        }
    }
    dx
}

/// Twin of pool/global_avg_forward.wgsl.
pub fn global_avg_pool_forward(p: &GlobalAvgPoolParams, x: &[f32]) -> Vec<f32> {
    let (hw, c) = (p.hw as usize, p.c as usize);
    (0..p.output_len()).map(|i| (0..hw).map(|k| x[(i / c * hw + k) * c + i % c]).sum::<f32>() / hw as f32).collect()
}

/// Twin of pool/global_avg_backward.wgsl.
pub fn global_avg_pool_backward(p: &GlobalAvgPoolParams, dy: &[f32]) -> Vec<f32> {
    let (hw, c) = (p.hw as usize, p.c as usize);
    (0..p.input_len()).map(|i| dy[i / (hw * c) * c + i % c] / hw as f32).collect()
}
