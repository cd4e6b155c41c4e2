//! Twin of the Adam kernel.

use crate::ops::adam::AdamConfig;

/// Twin of adam/update.wgsl at step `t` (from 1).
pub fn adam_update(cfg: AdamConfig, t: f32, grad: &[f32], w: &mut [f32], m: &mut [f32], v: &mut [f32]) {
    let lr_t = cfg.lr * (1.0 - cfg.beta2.powf(t)).sqrt() / (1.0 - cfg.beta1.powf(t));
    for i in 0..w.len() {
        let g = grad[i];
        m[i] = cfg.beta1 * m[i] + (1.0 - cfg.beta1) * g;
        v[i] = cfg.beta2 * v[i] + (1.0 - cfg.beta2) * g * g;
        w[i] -= lr_t * m[i] / (v[i].sqrt() + cfg.eps);
    }
}
