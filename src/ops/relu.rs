//! ReLU forward and backward, elementwise.

use crate::gpu::{Dispatch, Gpu, Grid};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ReluParams {
    pub count: u32,
    pub _pad: [u32; 3],
}

impl ReluParams {
    pub fn new(count: usize) -> Self {
        ReluParams { count: count as u32, _pad: [0; 3] }
    }
    pub fn forward(&self, gpu: &Gpu, x: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "relu/forward", self, &[x, y], Grid::items(self.count as usize, 64))
    }
    pub fn backward(&self, gpu: &Gpu, x: &wgpu::Buffer, dy: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "relu/backward", self, &[x, dy, dx], Grid::items(self.count as usize, 64))
    }
}
