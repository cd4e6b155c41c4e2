//! Global average pooling: the mean over h*w per channel (TFLite's MEAN over the spatial axes).

use crate::gpu::{Dispatch, Gpu, Grid, WORKGROUP_SIZE};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GlobalAvgPoolParams {
    pub n: u32,
    /// h * w.
    pub hw: u32,
    pub c: u32,
    pub _pad: u32,
}

crate::uniform_fields!(GlobalAvgPoolParams: n, hw, c, _pad);

impl GlobalAvgPoolParams {
    pub fn new(n: u32, [h, w, c]: [u32; 3]) -> Self {
        GlobalAvgPoolParams { n, hw: h * w, c, _pad: 0 }
    }
    pub fn input_len(&self) -> usize {
        (self.n * self.hw * self.c) as usize
    }
    pub fn output_len(&self) -> usize {
        (self.n * self.c) as usize
    }
    pub fn forward(&self, gpu: &Gpu, x: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "global_avg_pool/forward", self, &[x, y], Grid::items(self.output_len(), WORKGROUP_SIZE))
    }
    pub fn backward(&self, gpu: &Gpu, dy: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "global_avg_pool/backward", self, &[dy, dx], Grid::items(self.input_len(), WORKGROUP_SIZE))
    }
}
