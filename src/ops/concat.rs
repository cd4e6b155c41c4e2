//! Channel concatenation (NHWC, last axis): one dispatch per input in each direction.

use crate::gpu::{Dispatch, Gpu, Grid, WORKGROUP_SIZE};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the concat kernels (shaders/concat/): one input's slice of the output channels.
pub struct ConcatParams {
    /// n * h * w.
    pub pixels: u32,
    /// Channels of this input.
    pub c_in: u32,
    /// Channels of the output.
    pub c_out: u32,
    /// First output channel of this input.
    pub offset: u32,
}

crate::uniform_fields!(ConcatParams: pixels, c_in, c_out, offset);

impl ConcatParams {
    /// Elements of this input (whole batch).
    pub fn len_in(&self) -> usize {
        (self.pixels * self.c_in) as usize
    }
    /// Records the copy of input x into its channel slice of y.
    pub fn forward(&self, gpu: &Gpu, x: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "concat/forward", self, &[x, y], Grid::items(self.len_in(), WORKGROUP_SIZE))
    }
    /// Records the copy of the slice of dy back to dx.
    pub fn backward(&self, gpu: &Gpu, dy: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "concat/backward", self, &[dy, dx], Grid::items(self.len_in(), WORKGROUP_SIZE))
    }
}
