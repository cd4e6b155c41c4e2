//! DEPTHWISE_CONV_2D on the GPU: int8/depthwise.wgsl's kernels and the launcher.

use super::arithmetic::Variants;
use super::packing::{channel_blocks, pack, words_grid};
use super::window::WindowParams;
use super::{GpuOp, Launch};
use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::Gpu;
use crate::Result;
use crate::gpu::dispatch::{Dispatch, Grid, WORKGROUP_SIZE};
use qat_int8::ops::depthwise_conv2d::DepthwiseConv2d;
use qat_int8::quant::params::TensorQuant;

/// A depthwise conv's buffers: packed [KH, KW, C] weights, and per four channels their biases,
/// multipliers and shifts.
pub struct Weights {
    weights: wgpu::Buffer,
    channels: wgpu::Buffer,
}

impl GpuOp for DepthwiseConv2d {
    type Weights = Weights;

    fn upload(&self, gpu: &Gpu, _input_quants: &[TensorQuant]) -> Weights {
        Weights {
            weights: gpu.upload("int8 weights", &pack(&self.weights)),
            channels: gpu.upload("int8 channel params", &channel_blocks(&self.per_channel.bias, &self.per_channel.multipliers)),
        }
    }

    fn record(&self, w: &Weights, node: &mut Launch) -> Result<wgpu::Buffer> {
        let p = node.window(self.kernel, self.stride, self.padding, self.clamp);
        let y = node.output();
        let kernel = node.arithmetic.pick(&DEPTHWISE_VARIANTS, false);
        let grid = depthwise_grid(node.batch, p.oh * p.ow, p.c);
        let buffers = [node.inputs[0], &w.weights, &w.channels, &y];
        node.dispatches.push(Dispatch::specialized(node.gpu, kernel, &p.specialization(true, false), &p, &buffers, grid)?);
        Ok(y)
    }
}

/// The lanes int8/depthwise needs for `batch` images of `pixels` output pixels and `c` channels:
/// one per 16 channels of a pixel (`c % 16 == 0`), else one per output word (the kernel's rule).
pub fn depthwise_grid(batch: usize, pixels: u32, c: u32) -> Grid {
    let values = batch * pixels as usize * c as usize;
    if c.is_multiple_of(16) {
        Grid::items(values / 16, WORKGROUP_SIZE)
    } else {
        words_grid(values)
    }
}

/// The int8 depthwise kernels.
pub static DEPTHWISE_VARIANTS: Variants<WindowParams> =
    Variants { words: &DEPTHWISE, words_dot4: &DEPTHWISE, native: &DEPTHWISE_NATIVE, native_dot4: &DEPTHWISE_NATIVE };

/// `int8/depthwise`: shaders/int8/depthwise.wgsl.
#[rustfmt::skip]
pub static DEPTHWISE: Kernel<WindowParams> = crate::kernel!("int8/depthwise", WindowParams, [R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT"]);
/// `int8/depthwise#native`: shaders/int8/depthwise.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static DEPTHWISE_NATIVE: Kernel<WindowParams> = crate::kernel!("int8/depthwise#native" from "int8/depthwise", WindowParams, [R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize_native"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT"]);

/// The kernels of this op, each launched through its handle (`int8_gpu::shaders` registers them).
pub static KERNELS: &[&Shader] = &[&DEPTHWISE.shader, &DEPTHWISE_NATIVE.shader];
