//! QUANTIZE of the model's u8 input on the GPU: a table of every (channel, pixel) pair's int8
//! value, as the CPU interpreter quantizes it, read by int8/quantize.wgsl.

use super::packing::words_grid;
use crate::gpu::dispatch::Dispatch;
use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::Gpu;
use crate::Result;
use qat_int8::interpreter::quantize_image;
use qat_int8::model::QuantModel;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/quantize.wgsl.
pub struct QuantizeParams {
    /// Values (batch * h * w * c).
    pub count: u32,
    /// Channels.
    pub channels: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(QuantizeParams: count, channels, _pad);

/// `int8/quantize`: shaders/int8/quantize.wgsl.
#[rustfmt::skip]
pub static QUANTIZE: Kernel<QuantizeParams> = crate::kernel!("int8/quantize", QuantizeParams, [R, R, W], "int8/packed");

/// The kernels of this file, each launched through its handle (`int8_gpu::shaders` registers them).
pub static KERNELS: &[&Shader] = &[&QUANTIZE.shader];

/// QUANTIZE's table of `model`: channel c, pixel p -> int8 at c * 256 + p, each quantized by the
/// interpreter's own function.
pub fn input_table(model: &QuantModel) -> Vec<i32> {
    let channels = model.input_shape[2];
    let mut lut = Vec::with_capacity(channels as usize * 256);
    for c in 0..channels as usize {
        for p in 0..=255u8 {
            let mut pixel = vec![0u8; channels as usize];
            pixel[c] = p;
            let t = quantize_image(&pixel, [1, 1, channels], model.input_quant, &model.input_norm);
            lut.push(t.data[c] as i32);
        }
    }
    lut
}

/// Records QUANTIZE of `count` u8 values of `channels` channels from `images` (packed) through
/// `table` (`input_table`) into `out` (packed int8).
pub fn record(
    gpu: &Gpu,
    count: usize,
    channels: u32,
    images: &wgpu::Buffer,
    table: &wgpu::Buffer,
    out: &wgpu::Buffer,
) -> Result<Dispatch> {
    let p = QuantizeParams { count: count as u32, channels, _pad: [0; 2] };
    Dispatch::new(gpu, &QUANTIZE, &p, &[images, table, out], words_grid(count))
}
