//! Global average pooling: the mean over h*w per channel (TFLite's MEAN over the spatial axes).

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, Gpu};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the global average pooling kernels (shaders/global_avg_pool/).
pub struct GlobalAvgPoolParams {
    /// Batch size.
    pub n: u32,
    /// h * w.
    pub hw: u32,
    /// Input channels.
    pub c: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: u32,
}

crate::uniform_fields!(GlobalAvgPoolParams: n, hw, c, _pad);

impl GlobalAvgPoolParams {
    /// Pooling a batch of `n` inputs of [h, w, c].
    pub fn new(n: u32, [h, w, c]: [u32; 3]) -> Self {
        GlobalAvgPoolParams { n, hw: h * w, c, _pad: 0 }
    }
    /// Elements of the input (whole batch).
    pub fn input_len(&self) -> usize {
        (self.n * self.hw * self.c) as usize
    }
    /// Elements of the output (whole batch).
    pub fn output_len(&self) -> usize {
        (self.n * self.c) as usize
    }
    /// Records y\[c\] = the mean of x over h and w.
    pub fn forward(&self, gpu: &Gpu, x: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &FORWARD, self, &[x, y], Grid::items(self.output_len(), WORKGROUP_SIZE))
    }
    /// Records dx = dy / (h w), spread over each channel.
    pub fn backward(&self, gpu: &Gpu, dy: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &BACKWARD, self, &[dy, dx], Grid::items(self.input_len(), WORKGROUP_SIZE))
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `global_avg_pool/forward`: shaders/global_avg_pool/forward.wgsl.
#[rustfmt::skip]
pub static FORWARD: Kernel<GlobalAvgPoolParams> = crate::kernel!("global_avg_pool/forward", GlobalAvgPoolParams, [R, W]);
/// `global_avg_pool/backward`: shaders/global_avg_pool/backward.wgsl.
#[rustfmt::skip]
pub static BACKWARD: Kernel<GlobalAvgPoolParams> = crate::kernel!("global_avg_pool/backward", GlobalAvgPoolParams, [R, W]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&FORWARD.shader, &BACKWARD.shader];

/// Twins of the global average pooling kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use crate::ops::global_avg_pool::GlobalAvgPoolParams;

    /// Twin of global_avg_pool/forward.wgsl.
    pub fn global_avg_pool_forward(p: &GlobalAvgPoolParams, x: &[f32]) -> Vec<f32> {
        let (hw, c) = (p.hw as usize, p.c as usize);
        (0..p.output_len()).map(|i| (0..hw).map(|k| x[(i / c * hw + k) * c + i % c]).sum::<f32>() / hw as f32).collect()
    }

    /// Twin of global_avg_pool/backward.wgsl.
    pub fn global_avg_pool_backward(p: &GlobalAvgPoolParams, dy: &[f32]) -> Vec<f32> {
        let (hw, c) = (p.hw as usize, p.c as usize);
        (0..p.input_len()).map(|i| dy[i / (hw * c) * c + i % c] / hw as f32).collect()
    }
}
