//! Capped ReLU (ReLU, ReLU6) forward and backward, elementwise.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, Gpu};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the ReLU kernels (shaders/relu/).
pub struct ReluParams {
    /// Elements.
    pub count: u32,
    /// Upper clamp: f32::MAX for ReLU, 6 for ReLU6.
    pub cap: f32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(ReluParams: count, cap, _pad);

impl ReluParams {
    /// Plain ReLU.
    pub fn new(count: usize) -> Self {
        Self::capped(count, f32::MAX)
    }
    /// min(max(x, 0), cap): ReLU6 is `capped(count, 6.0)`.
    pub fn capped(count: usize, cap: f32) -> Self {
        ReluParams { count: count as u32, cap, _pad: [0; 2] }
    }
    /// Records y = min(max(x, 0), cap).
    pub fn forward(&self, gpu: &Gpu, x: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &FORWARD, self, &[x, y], Grid::items(self.count.div_ceil(16) as usize, WORKGROUP_SIZE))
    }
    /// Records dx = dy where 0 < x < cap, else 0; `x` may be the forward's input or its output
    /// (the same mask).
    pub fn backward(&self, gpu: &Gpu, x: &wgpu::Buffer, dy: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &BACKWARD, self, &[x, dy, dx], Grid::items(self.count.div_ceil(16) as usize, WORKGROUP_SIZE))
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `relu/forward`: shaders/relu/forward.wgsl.
#[rustfmt::skip]
pub static FORWARD: Kernel<ReluParams> = crate::kernel!("relu/forward", ReluParams, [R, W]);
/// `relu/backward`: shaders/relu/backward.wgsl.
#[rustfmt::skip]
pub static BACKWARD: Kernel<ReluParams> = crate::kernel!("relu/backward", ReluParams, [R, R, W]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&FORWARD.shader, &BACKWARD.shader];

/// Twins of the (capped) ReLU kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    /// Twin of relu/forward.wgsl with cap f32::MAX (plain ReLU).
    pub fn relu_forward(x: &[f32]) -> Vec<f32> {
        relu_capped_forward(x, f32::MAX)
    }

    /// Twin of relu/backward.wgsl with cap f32::MAX.
    pub fn relu_backward(x: &[f32], dy: &[f32]) -> Vec<f32> {
        relu_capped_backward(x, dy, f32::MAX)
    }

    /// Twin of relu/forward.wgsl: min(max(x, 0), cap).
    pub fn relu_capped_forward(x: &[f32], cap: f32) -> Vec<f32> {
        x.iter().map(|v| v.max(0.0).min(cap)).collect()
    }

    /// Twin of relu/backward.wgsl: dy where 0 < x < cap.
    pub fn relu_capped_backward(x: &[f32], dy: &[f32], cap: f32) -> Vec<f32> {
        x.iter().zip(dy).map(|(x, d)| if *x > 0.0 && *x < cap { *d } else { 0.0 }).collect()
    }
}
