//! Twins of the average pooling kernels.

use crate::ops::avg_pool::AvgPoolParams;

/// In-bounds (first, end) of window `o` along an axis of `size` (TF padding).
fn window(o: u32, stride: u32, k: u32, pad: u32, size: u32) -> (u32, u32) {
    let lo = (o * stride) as i64 - pad as i64;
    (lo.max(0) as u32, ((lo + k as i64).min(size as i64)).max(0) as u32)
}

/// Twin of avg_pool/forward.wgsl: the mean over in-bounds taps.
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

/// Twin of avg_pool/backward.wgsl.
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
