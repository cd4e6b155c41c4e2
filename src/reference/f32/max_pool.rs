//! Twins of the max pooling kernels.

use crate::ops::max_pool::MaxPoolParams;

/// Twin of max_pool/forward.wgsl: (output, argmax input index).
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

/// Twin of max_pool/backward.wgsl.
pub fn max_pool_backward(p: &MaxPoolParams, dy: &[f32], argmax: &[u32]) -> Vec<f32> {
    let mut dx = vec![0.0; p.input_len()];
    for (o, &i) in argmax.iter().enumerate() {
        dx[i as usize] += dy[o];
    }
    dx
}
