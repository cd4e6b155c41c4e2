//! ADD on the GPU: int8/add.wgsl's kernels and the launcher.

use super::arithmetic::Variants;
use super::packing::words_grid;
use super::{GpuOp, Launch};
use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::Gpu;
use crate::Result;
use crate::gpu::dispatch::Dispatch;
use qat_int8::ops::add::Add;
use qat_int8::quant::add::AddRescale;
use qat_int8::quant::params::TensorQuant;

impl GpuOp for Add {
    type Weights = ();

    fn upload(&self, _gpu: &Gpu, _input_quants: &[TensorQuant]) {}

    fn record(&self, _: &(), node: &mut Launch) -> Result<wgpu::Buffer> {
        let (q_a, q_b) = (node.quants[0], node.quants[1]);
        let r = AddRescale::new(q_a, q_b, self.output);
        let p = AddParams {
            count: node.output_values() as u32,
            zp_a: q_a.zero_point,
            zp_b: q_b.zero_point,
            out_zp: self.output.zero_point,
            m_a: r.input1.multiplier,
            shift_a: r.input1.shift,
            m_b: r.input2.multiplier,
            shift_b: r.input2.shift,
            m_out: r.output.multiplier,
            shift_out: r.output.shift,
            clamp_min: self.clamp.min,
            clamp_max: self.clamp.max,
        };
        let y = node.output();
        let kernel = node.arithmetic.pick(&ADD_VARIANTS, false);
        let grid = words_grid(node.output_values());
        node.dispatches.push(Dispatch::new(node.gpu, kernel, &p, &[node.inputs[0], node.inputs[1], &y], grid)?);
        Ok(y)
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/add.wgsl (`AddRescale`'s three multipliers).
pub struct AddParams {
    /// Values.
    pub count: u32,
    /// First input's zero point.
    pub zp_a: i32,
    /// Second input's zero point.
    pub zp_b: i32,
    /// Output zero point.
    pub out_zp: i32,
    /// First input's multiplier.
    pub m_a: i32,
    /// Its shift.
    pub shift_a: i32,
    /// Second input's multiplier.
    pub m_b: i32,
    /// Its shift.
    pub shift_b: i32,
    /// The sum's multiplier.
    pub m_out: i32,
    /// Its shift.
    pub shift_out: i32,
    /// Lowest output value.
    pub clamp_min: i32,
    /// Highest output value.
    pub clamp_max: i32,
}

crate::uniform_fields!(AddParams: count, zp_a, zp_b, out_zp, m_a, shift_a, m_b, shift_b, m_out, shift_out, clamp_min, clamp_max);

/// The int8 ADD kernels.
pub static ADD_VARIANTS: Variants<AddParams> =
    Variants { words: &ADD, words_dot4: &ADD, native: &ADD_NATIVE, native_dot4: &ADD_NATIVE };

/// `int8/add`: shaders/int8/add.wgsl.
#[rustfmt::skip]
pub static ADD: Kernel<AddParams> = crate::kernel!("int8/add", AddParams, [R, R, W], "int8/packed", "int8/requantize");
/// `int8/add#native`: shaders/int8/add.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static ADD_NATIVE: Kernel<AddParams> = crate::kernel!("int8/add#native" from "int8/add", AddParams, [R, R, W], "int8/packed", "int8/requantize_native");

/// The kernels of this op, each launched through its handle (`int8_gpu::shaders` registers them).
pub static KERNELS: &[&Shader] = &[&ADD.shader, &ADD_NATIVE.shader];
