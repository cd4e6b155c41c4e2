//! Elementwise kernels: the sum of two tensors (Add, and gradient accumulation where a tensor
//! has several consumers), per-channel scaling, and the accumulation of a parameter's gradient
//! over the micro-batches of a step.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, pipelines::Specialization, Gpu};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of elementwise/add.wgsl.
pub struct AddParams {
    /// Elements.
    pub count: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 3],
}

crate::uniform_fields!(AddParams: count, _pad);

impl AddParams {
    /// An add over `count` elements.
    pub fn new(count: usize) -> Self {
        AddParams { count: count as u32, _pad: [0; 3] }
    }
    /// y = a + b.
    pub fn dispatch(&self, gpu: &Gpu, a: &wgpu::Buffer, b: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &ADD, self, &[a, b, y], Grid::items(self.count.div_ceil(16) as usize, WORKGROUP_SIZE))
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of elementwise/channel_scale.wgsl.
pub struct ChannelScaleParams {
    /// Elements.
    pub count: u32,
    /// Channels.
    pub channels: u32,
    /// Channel of element i: (i / inner) % channels.
    pub inner: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: u32,
}

crate::uniform_fields!(ChannelScaleParams: count, channels, inner, _pad);

impl ChannelScaleParams {
    /// Scales the last axis.
    pub fn new(count: usize, channels: usize) -> Self {
        Self::with_inner(count, channels, 1)
    }
    /// Scales the axis whose elements repeat every `inner` items.
    pub fn with_inner(count: usize, channels: usize, inner: usize) -> Self {
        ChannelScaleParams { count: count as u32, channels: channels as u32, inner: inner as u32, _pad: 0 }
    }
    /// y = x * s\[channel\].
    pub fn dispatch(&self, gpu: &Gpu, x: &wgpu::Buffer, s: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::specialized(
            gpu,
            &CHANNEL_SCALE,
            &Specialization::default().with("CHANNELS", self.channels).with("INNER", self.inner),
            self,
            &[x, s, y],
            Grid::strided(self.count.div_ceil(4) as usize, WORKGROUP_SIZE, gpu.strategy()),
        )
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of elementwise/accumulate.wgsl.
pub struct AccumulateParams {
    /// Elements.
    pub count: u32,
    /// 1: add to what the destination holds; 0: overwrite it.
    pub keep: u32,
    /// Factor applied to the sum.
    pub scale: f32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: u32,
}

crate::uniform_fields!(AccumulateParams: count, keep, scale, _pad);

impl AccumulateParams {
    /// dst = ((keep ? dst : 0) + src) * scale over `count` elements.
    pub fn new(count: usize, keep: bool, scale: f32) -> Self {
        AccumulateParams { count: count as u32, keep: u32::from(keep), scale, _pad: 0 }
    }
    /// Records the accumulation of `src` into `dst`.
    pub fn dispatch(&self, gpu: &Gpu, src: &wgpu::Buffer, dst: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &ACCUMULATE, self, &[src, dst], Grid::items(self.count.div_ceil(4) as usize, WORKGROUP_SIZE))
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `elementwise/add`: shaders/elementwise/add.wgsl.
#[rustfmt::skip]
pub static ADD: Kernel<AddParams> = crate::kernel!("elementwise/add", AddParams, [R, R, W]);
/// `elementwise/channel_scale`: shaders/elementwise/channel_scale.wgsl.
#[rustfmt::skip]
pub static CHANNEL_SCALE: Kernel<ChannelScaleParams> = crate::kernel!("elementwise/channel_scale", ChannelScaleParams, [R, R, W], "common/channel_of"; specialized ["CHANNELS", "INNER"]);
/// `elementwise/accumulate`: shaders/elementwise/accumulate.wgsl.
#[rustfmt::skip]
pub static ACCUMULATE: Kernel<AccumulateParams> = crate::kernel!("elementwise/accumulate", AccumulateParams, [R, W]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&ADD.shader, &CHANNEL_SCALE.shader, &ACCUMULATE.shader];

/// Twins of the elementwise kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    /// Twin of elementwise/add.wgsl.
    pub fn add(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(x, y)| x + y).collect()
    }

    /// Twin of elementwise/accumulate.wgsl: `dst` becomes ((keep ? dst : 0) + src) * scale.
    pub fn accumulate(src: &[f32], dst: &mut [f32], keep: bool, scale: f32) {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = (if keep { *d } else { 0.0 } + s) * scale;
        }
    }

    /// Twin of elementwise/channel_scale.wgsl: element i scaled by s[(i / inner) % s.len()].
    pub fn channel_scale(x: &[f32], s: &[f32], inner: usize) -> Vec<f32> {
        x.iter().enumerate().map(|(i, v)| v * s[(i / inner.max(1)) % s.len()]).collect()
    }
}
