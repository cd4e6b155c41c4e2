//! FULLY_CONNECTED on the GPU: int8/fully_connected.wgsl's kernels (each arithmetic and
//! dot-product path), the layouts of the weights they read and the launcher.

use super::arithmetic::Variants;
use super::packing::{pack, words_grid};
use super::requantize::DoubleMultiplier;
use super::{GpuOp, Launch};
use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::Gpu;
use crate::Result;
use crate::gpu::dispatch::{Dispatch, Grid, WORKGROUP_SIZE};
use qat_int8::ops::fully_connected::FullyConnected;
use qat_int8::quant::params::TensorQuant;

/// A dense layer's buffers: the weights in 16-byte blocks (`fc_weight_blocks`), the biases with
/// the zero-point term folded in (`fc_folded_bias`), and the float64 multiplier.
pub struct Weights {
    weights: wgpu::Buffer,
    bias: wgpu::Buffer,
    multiplier: DoubleMultiplier,
}

impl GpuOp for FullyConnected {
    type Weights = Weights;

    fn upload(&self, gpu: &Gpu, input_quants: &[TensorQuant]) -> Weights {
        let q_in = input_quants[0];
        let (units, inputs) = (self.units as usize, self.inputs as usize);
        let w = &self.weights;
        Weights {
            weights: gpu.upload("int8 weights", &fc_weight_blocks(w, units, inputs)),
            bias: gpu.upload("int8 folded bias", &fc_folded_bias(&self.bias, w, inputs, q_in.zero_point)),
            multiplier: DoubleMultiplier::new(q_in.scale as f64 * self.weight_scale as f64 / self.output.scale as f64),
        }
    }

    fn record(&self, w: &Weights, node: &mut Launch) -> Result<wgpu::Buffer> {
        let m = w.multiplier;
        let p = FullyConnectedParams {
            batch: node.batch as u32,
            inputs: self.inputs,
            units: self.units,
            in_zp: node.quants[0].zero_point,
            out_zp: self.output.zero_point,
            clamp_min: self.clamp.min,
            clamp_max: self.clamp.max,
            m_exp: m.exponent,
            m_lo: m.mantissa_lo,
            m_hi: m.mantissa_hi,
            _pad: [0; 2],
        };
        let four_images = fully_connected_four_images(node.strategy, self.units);
        let spec = crate::gpu::pipelines::Specialization::default()
            .with("INPUTS", self.inputs)
            .with("UNITS", self.units)
            .with("FOUR_IMAGES", four_images);
        let y = node.output();
        let kernel = node.arithmetic.pick(&FULLY_CONNECTED_VARIANTS, node.dot4);
        let grid = fully_connected_grid(node.batch, self.units, four_images);
        let buffers = [node.inputs[0], &w.weights, &w.bias, &y];
        node.dispatches.push(Dispatch::specialized(node.gpu, kernel, &spec, &p, &buffers, grid)?);
        Ok(y)
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/fully_connected.wgsl.
pub struct FullyConnectedParams {
    /// Images in the batch.
    pub batch: u32,
    /// Inputs per image.
    pub inputs: u32,
    /// Outputs per image.
    pub units: u32,
    /// Input zero point.
    pub in_zp: i32,
    /// Output zero point.
    pub out_zp: i32,
    /// Lowest output value.
    pub clamp_min: i32,
    /// Highest output value.
    pub clamp_max: i32,
    /// The float64 multiplier's exponent (`DoubleMultiplier`).
    pub m_exp: i32,
    /// Its mantissa's low 32 bits.
    pub m_lo: u32,
    /// Its mantissa's high bits.
    pub m_hi: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(FullyConnectedParams: batch, inputs, units, in_zp, out_zp, clamp_min, clamp_max, m_exp, m_lo, m_hi, _pad);

/// A dense layer's int8 weights (`units` rows of `inputs`) as the 16-byte blocks
/// int8/fully_connected reads, `[ceil(inputs / 16), units]`: block (k, o) holds
/// w[o, 16 k .. 16 k + 15], zero past the last input. Packed four per u32.
pub fn fc_weight_blocks(w: &[i8], units: usize, inputs: usize) -> Vec<u32> {
    let k16 = inputs.div_ceil(16);
    let mut out = vec![0i8; k16 * units * 16];
    for o in 0..units {
        for (i, &v) in w[o * inputs..(o + 1) * inputs].iter().enumerate() {
            out[((i / 16) * units + o) * 16 + i % 16] = v;
        }
    }
    pack(&out)
}

/// A dense layer's bias with the zero-point term folded in, as int8/fully_connected adds it:
/// bias\[o\] - in_zp * sum_i w\[o, i\], in wrapping i32 (the kernel's sums wrap the same way; the
/// reference's accumulator fits in i32, so the wrapped total is exact).
pub fn fc_folded_bias(bias: &[i32], w: &[i8], inputs: usize, in_zp: i32) -> Vec<i32> {
    bias.iter()
        .enumerate()
        .map(|(o, &b)| {
            let sum = w[o * inputs..(o + 1) * inputs].iter().fold(0i32, |s, &v| s.wrapping_add(v as i32));
            b.wrapping_sub(in_zp.wrapping_mul(sum))
        })
        .collect()
}

/// Whether int8/fully_connected computes every unit of four images per lane (its FOUR_IMAGES):
/// on a CPU-type adapter, where it loads each weight block once for four images, with at most 16
/// units; on a GPU one lane per output word gives the adapter more lanes.
pub fn fully_connected_four_images(strategy: crate::gpu::Strategy, units: u32) -> bool {
    strategy == crate::gpu::Strategy::CpuLanes && units <= 16
}

/// The lanes int8/fully_connected needs for `batch` images and `units` outputs: one per four
/// images with `four_images`, else one per output word (the kernel's rule).
pub fn fully_connected_grid(batch: usize, units: u32, four_images: bool) -> Grid {
    if four_images {
        Grid::items(batch.div_ceil(4), WORKGROUP_SIZE)
    } else {
        words_grid(batch * units as usize)
    }
}

/// The int8 fully connected kernels.
pub static FULLY_CONNECTED_VARIANTS: Variants<FullyConnectedParams> = Variants {
    words: &FULLY_CONNECTED,
    words_dot4: &FULLY_CONNECTED_DOT4,
    native: &FULLY_CONNECTED_NATIVE,
    native_dot4: &FULLY_CONNECTED_NATIVE_DOT4,
};

/// `int8/fully_connected`: shaders/int8/fully_connected.wgsl.
#[rustfmt::skip]
pub static FULLY_CONNECTED: Kernel<FullyConnectedParams> = crate::kernel!("int8/fully_connected", FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize", "int8/dot4_unpacked"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]);
/// `int8/fully_connected#dot4`: shaders/int8/fully_connected.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static FULLY_CONNECTED_DOT4: Kernel<FullyConnectedParams> = crate::kernel!("int8/fully_connected#dot4" from "int8/fully_connected", FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize", "int8/dot4_builtin"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]);
/// `int8/fully_connected#native`: shaders/int8/fully_connected.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static FULLY_CONNECTED_NATIVE: Kernel<FullyConnectedParams> = crate::kernel!("int8/fully_connected#native" from "int8/fully_connected", FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize_native", "int8/dot4_unpacked"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]);
/// `int8/fully_connected#native_dot4`: shaders/int8/fully_connected.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static FULLY_CONNECTED_NATIVE_DOT4: Kernel<FullyConnectedParams> = crate::kernel!("int8/fully_connected#native_dot4" from "int8/fully_connected", FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize_native", "int8/dot4_builtin"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]);

/// The kernels of this op, each launched through its handle (`int8_gpu::shaders` registers them).
pub static KERNELS: &[&Shader] = &[
    &FULLY_CONNECTED.shader,
    &FULLY_CONNECTED_DOT4.shader,
    &FULLY_CONNECTED_NATIVE.shader,
    &FULLY_CONNECTED_NATIVE_DOT4.shader,
];
