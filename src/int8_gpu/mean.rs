//! MEAN over height and width on the GPU: int8/mean.wgsl's kernels and the launcher.

use super::arithmetic::Variants;
use super::packing::words_grid;
use super::{GpuOp, Launch};
use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::Gpu;
use crate::Result;
use crate::gpu::dispatch::Dispatch;
use qat_int8::ops::mean::Mean;
use qat_int8::quant::clamp::Clamp;
use qat_int8::quant::mean::MeanRescale;
use qat_int8::quant::params::TensorQuant;

impl GpuOp for Mean {
    type Weights = ();

    fn upload(&self, _gpu: &Gpu, _input_quants: &[TensorQuant]) {}

    fn record(&self, _: &(), node: &mut Launch) -> Result<wgpu::Buffer> {
        let ([h, w, c], q_in) = (node.shapes[0], node.quants[0]);
        let r = MeanRescale::new(q_in, self.output, h * w);
        let p = MeanParams {
            batch: node.batch as u32,
            n: h * w,
            c,
            in_zp: q_in.zero_point,
            out_zp: self.output.zero_point,
            clamp_min: Clamp::FULL.min,
            clamp_max: Clamp::FULL.max,
            multiplier: r.multiplier.multiplier,
            shift: r.multiplier.shift,
            _pad: [0; 3],
        };
        let y = node.output();
        let kernel = node.arithmetic.pick(&MEAN_VARIANTS, false);
        let grid = words_grid(node.output_values());
        node.dispatches.push(Dispatch::new(node.gpu, kernel, &p, &[node.inputs[0], &y], grid)?);
        Ok(y)
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/mean.wgsl.
pub struct MeanParams {
    /// Images in the batch.
    pub batch: u32,
    /// Values averaged per channel (h * w).
    pub n: u32,
    /// Channels.
    pub c: u32,
    /// Input zero point.
    pub in_zp: i32,
    /// Output zero point.
    pub out_zp: i32,
    /// Lowest output value.
    pub clamp_min: i32,
    /// Highest output value.
    pub clamp_max: i32,
    /// `MeanRescale`'s multiplier.
    pub multiplier: i32,
    /// Its shift.
    pub shift: i32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 3],
}

crate::uniform_fields!(MeanParams: batch, n, c, in_zp, out_zp, clamp_min, clamp_max, multiplier, shift, _pad);

/// The int8 MEAN kernels.
pub static MEAN_VARIANTS: Variants<MeanParams> =
    Variants { words: &MEAN, words_dot4: &MEAN, native: &MEAN_NATIVE, native_dot4: &MEAN_NATIVE };

/// `int8/mean`: shaders/int8/mean.wgsl.
#[rustfmt::skip]
pub static MEAN: Kernel<MeanParams> = crate::kernel!("int8/mean", MeanParams, [R, W], "int8/packed", "int8/requantize");
/// `int8/mean#native`: shaders/int8/mean.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static MEAN_NATIVE: Kernel<MeanParams> = crate::kernel!("int8/mean#native" from "int8/mean", MeanParams, [R, W], "int8/packed", "int8/requantize_native");

/// The kernels of this op, each launched through its handle (`int8_gpu::shaders` registers them).
pub static KERNELS: &[&Shader] = &[&MEAN.shader, &MEAN_NATIVE.shader];
