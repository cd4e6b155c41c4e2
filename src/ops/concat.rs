//! Channel concatenation (NHWC, last axis): one dispatch per input in each direction.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, Gpu};
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
        Dispatch::new(gpu, &FORWARD, self, &[x, y], Grid::items(self.len_in(), WORKGROUP_SIZE))
    }
    /// Records the copy of the slice of dy back to dx.
    pub fn backward(&self, gpu: &Gpu, dy: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &BACKWARD, self, &[dy, dx], Grid::items(self.len_in(), WORKGROUP_SIZE))
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `concat/forward`: shaders/concat/forward.wgsl.
#[rustfmt::skip]
pub static FORWARD: Kernel<ConcatParams> = crate::kernel!("concat/forward", ConcatParams, [R, W]);
/// `concat/backward`: shaders/concat/backward.wgsl.
#[rustfmt::skip]
pub static BACKWARD: Kernel<ConcatParams> = crate::kernel!("concat/backward", ConcatParams, [R, W]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&FORWARD.shader, &BACKWARD.shader];

/// Twins of the concatenation kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use crate::ops::concat::ConcatParams;

    /// Twin of concat/forward.wgsl: writes input `x` into its channel slice of `y`.
    pub fn concat_forward(p: &ConcatParams, x: &[f32], y: &mut [f32]) {
        for px in 0..p.pixels as usize {
            for ch in 0..p.c_in as usize {
                y[px * p.c_out as usize + p.offset as usize + ch] = x[px * p.c_in as usize + ch];
            }
        }
    }

    /// Twin of concat/backward.wgsl.
    pub fn concat_backward(p: &ConcatParams, dy: &[f32]) -> Vec<f32> {
        let mut dx = vec![0.0; p.len_in()];
        for px in 0..p.pixels as usize {
            for ch in 0..p.c_in as usize {
                dx[px * p.c_in as usize + ch] = dy[px * p.c_out as usize + p.offset as usize + ch];
            }
        }
        dx
    }
}
