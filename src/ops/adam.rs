//! Adam optimizer update (Keras's formulation and defaults), one dispatch per parameter tensor.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, Gpu};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the Adam kernel (shaders/adam/update.wgsl).
pub struct AdamParams {
    /// Elements.
    pub count: u32,
    /// Decay of the first moment.
    pub beta1: f32,
    /// Decay of the second moment.
    pub beta2: f32,
    /// Added to the variance (batch norm's epsilon).
    pub eps: f32,
}

crate::uniform_fields!(AdamParams: count, beta1, beta2, eps);

/// Adam's hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// Learning rate (the schedule scales it per step).
    pub lr: f32,
    /// Decay of the first moment.
    pub beta1: f32,
    /// Decay of the second moment.
    pub beta2: f32,
    /// Added to the variance (batch norm's epsilon).
    pub eps: f32,
}

impl Default for AdamConfig {
    /// Keras defaults.
    fn default() -> Self {
        AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7 }
    }
}

/// The per-step uniform shared by the gather and Adam kernels; the host writes it once per step.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct StepUniform {
    /// Index in the order buffer of the step's first sample (gather).
    pub batch_start: u32,
    /// Adam's step number, counted from 1.
    pub t: f32,
    /// Learning rate of this step.
    pub lr: f32,
    /// The training step, counted from 1 over all phases (what health reports name).
    pub step: u32,
}

crate::uniform_fields!(StepUniform: batch_start, t, lr, step);

impl StepUniform {
    /// The uniform of one step.
    pub fn new(batch_start: u32, t: u32, lr: f32, step: u32) -> Self {
        StepUniform { batch_start, t: t as f32, lr, step }
    }
}

impl AdamParams {
    /// `cfg.lr` is not part of the recorded parameters: it travels in `StepUniform`.
    pub fn new(count: usize, cfg: AdamConfig) -> Self {
        AdamParams { count: count as u32, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps }
    }
    /// `totals` is the loss totals buffer, whose health words record a non-finite gradient or
    /// weight (`ops::loss::Totals`).
    #[allow(clippy::too_many_arguments)]
    pub fn dispatch(
        &self,
        gpu: &Gpu,
        step: &wgpu::Buffer,
        grad: &wgpu::Buffer,
        w: &wgpu::Buffer,
        m: &wgpu::Buffer,
        v: &wgpu::Buffer,
        totals: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        Dispatch::new(
            gpu,
            &UPDATE,
            self,
            &[step, grad, w, m, v, totals],
            Grid::items(self.count as usize, WORKGROUP_SIZE),
        )
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `adam/update`: shaders/adam/update.wgsl.
#[rustfmt::skip]
pub static UPDATE: Kernel<AdamParams> = crate::kernel!("adam/update", AdamParams, [U, R, W, W, W, W]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&UPDATE.shader];

/// Twin of the Adam kernel.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
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
}
