//! Twins of the batch-norm kernels. `affine` = [gamma (C), beta (C)], `stats` = [mean, var]
//! per channel.

use crate::ops::batch_norm::{BatchNorm, Statistics};

/// Twin of batch_norm/statistics.wgsl: mean, then the mean squared deviation (biased variance).
pub fn batch_norm_statistics(bn: &BatchNorm, x: &[f32]) -> Vec<f32> {
    let (rows, c) = (bn.rows as usize, bn.channels as usize);
    (0..c)
        .flat_map(|ch| {
            let mean = (0..rows).map(|r| x[r * c + ch]).sum::<f32>() / rows.max(1) as f32;
            let var = (0..rows).map(|r| (x[r * c + ch] - mean).powi(2)).sum::<f32>() / rows.max(1) as f32;
            [mean, var]
        })
        .collect()
}

/// Twin of batch_norm/forward.wgsl.
pub fn batch_norm_forward(bn: &BatchNorm, x: &[f32], stats: &[f32], affine: &[f32]) -> Vec<f32> {
    let c = bn.channels as usize;
    x.iter()
        .enumerate()
        .map(|(i, v)| {
            let ch = i % c;
            affine[ch] * (v - stats[2 * ch]) / (stats[2 * ch + 1] + bn.eps).sqrt() + affine[c + ch]
        })
        .collect()
}

/// Twin of batch_norm/backward_affine.wgsl: [dgamma (C), dbeta (C)].
pub fn batch_norm_backward_affine(bn: &BatchNorm, x: &[f32], dy: &[f32], stats: &[f32]) -> Vec<f32> {
    let c = bn.channels as usize;
    let mut d = vec![0.0; 2 * c];
    for (i, (v, g)) in x.iter().zip(dy).enumerate() {
        let ch = i % c;
        d[ch] += g * (v - stats[2 * ch]) / (stats[2 * ch + 1] + bn.eps).sqrt();
        d[c + ch] += g;
    }
    d
}

/// Twin of batch_norm/backward_input.wgsl.
pub fn batch_norm_backward_input(
    bn: &BatchNorm,
    statistics: Statistics,
    x: &[f32],
    dy: &[f32],
    stats: &[f32],
    affine: &[f32],
    daffine: &[f32],
) -> Vec<f32> {
    let c = bn.channels as usize;
    let m = bn.rows as f32;
    x.iter()
        .zip(dy)
        .enumerate()
        .map(|(i, (v, g))| {
            let ch = i % c;
            let inv_std = 1.0 / (stats[2 * ch + 1] + bn.eps).sqrt();
            match statistics {
                Statistics::Fixed => affine[ch] * inv_std * g,
                Statistics::Batch => {
                    let xhat = (v - stats[2 * ch]) * inv_std;
                    affine[ch] * inv_std / m * (m * g - daffine[c + ch] - xhat * daffine[ch])
                }
            }
        })
        .collect()
}

/// Twin of batch_norm/fold_scale.wgsl: (scale, inverse scale) per channel.
pub fn batch_norm_fold_scale(bn: &BatchNorm, affine: &[f32], moving: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let c = bn.channels as usize;
    let s: Vec<f32> = (0..c).map(|ch| affine[ch] / (moving[2 * ch + 1] + bn.eps).sqrt()).collect();
    let inv = s.iter().map(|&v| if v != 0.0 { 1.0 / v } else { 0.0 }).collect();
    (s, inv)
}

/// Twin of batch_norm/update_moving.wgsl.
pub fn batch_norm_update_moving(momentum: f32, batch: &[f32], moving: &mut [f32]) {
    for (m, b) in moving.iter_mut().zip(batch) {
        *m = momentum * *m + (1.0 - momentum) * b;
    }
}
