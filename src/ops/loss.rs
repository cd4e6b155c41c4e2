//! Fused softmax cross-entropy (loss, gradient, correctness per sample) and the running totals
//! [loss_sum, correct, samples, non_finite] kept on the GPU between readbacks.

use crate::gpu::{Dispatch, Gpu, Grid};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LossParams {
    pub n: u32,
    pub classes: u32,
    pub _pad: [u32; 2],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct AccumulateParams {
    pub n: u32,
    pub _pad: [u32; 3],
}

/// Number of words in the totals buffer.
pub const TOTALS_WORDS: usize = 4;

impl LossParams {
    pub fn new(n: u32, classes: u32) -> Self {
        LossParams { n, classes, _pad: [0; 2] }
    }
    /// `per_sample` holds 2 words per sample: loss, correct.
    pub fn forward_backward(&self, gpu: &Gpu, logits: &wgpu::Buffer, labels: &wgpu::Buffer, dlogits: &wgpu::Buffer, per_sample: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "loss/softmax_cross_entropy", self, &[logits, labels, dlogits, per_sample], Grid::items(self.n as usize, 64))
    }
    pub fn accumulate(&self, gpu: &Gpu, per_sample: &wgpu::Buffer, totals: &wgpu::Buffer) -> Result<Dispatch> {
        let p = AccumulateParams { n: self.n, _pad: [0; 3] };
        Dispatch::new(gpu, "loss/accumulate", &p, &[per_sample, totals], Grid(1, 1, 1))
    }
}
