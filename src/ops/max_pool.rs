//! Max pooling with "valid" windows (k x k, stride s), NHWC; the forward records argmax indices
//! that the backward routes gradients through.

use crate::gpu::{Dispatch, Gpu, Grid, WORKGROUP_SIZE};
use crate::{QatError, Result};

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MaxPoolParams {
    pub n: u32,
    pub h: u32,
    pub w: u32,
    pub c: u32,
    pub oh: u32,
    pub ow: u32,
    pub k: u32,
    pub stride: u32,
}

crate::uniform_fields!(MaxPoolParams: n, h, w, c, oh, ow, k, stride);

impl MaxPoolParams {
    pub fn new(n: u32, [h, w, c]: [u32; 3], k: u32, stride: u32) -> Result<Self> {
        if k == 0 || stride == 0 || h < k || w < k || c == 0 {
            return Err(QatError::Invalid(format!("max pool {k}x{k} stride {stride} does not fit input {h}x{w}x{c}")));
        }
        Ok(MaxPoolParams { n, h, w, c, oh: (h - k) / stride + 1, ow: (w - k) / stride + 1, k, stride })
    }
    pub fn input_len(&self) -> usize {
        (self.n * self.h * self.w * self.c) as usize
    }
    pub fn output_len(&self) -> usize {
        (self.n * self.oh * self.ow * self.c) as usize
    }
    pub fn forward(&self, gpu: &Gpu, x: &wgpu::Buffer, y: &wgpu::Buffer, argmax: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "max_pool/forward", self, &[x, y, argmax], Grid::items(self.output_len(), WORKGROUP_SIZE))
    }
    pub fn backward(&self, gpu: &Gpu, dy: &wgpu::Buffer, argmax: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        // One invocation per window when windows do not overlap, else one per input element.
        let items = if self.k == self.stride { self.output_len() } else { self.input_len() };
        Dispatch::new(gpu, "max_pool/backward", self, &[dy, argmax, dx], Grid::items(items, WORKGROUP_SIZE))
    }
}
