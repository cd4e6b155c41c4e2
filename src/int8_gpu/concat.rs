//! CONCATENATION on the GPU: int8/concat.wgsl, which joins two inputs, and the launcher, which
//! joins any number in pairs, left to right: ((a, b), c), ...

use super::packing::words_grid;
use super::{GpuOp, Launch};
use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::Gpu;
use crate::Result;
use crate::gpu::dispatch::Dispatch;
use qat_int8::ops::concat::Concat;
use qat_int8::quant::params::TensorQuant;

impl GpuOp for Concat {
    type Weights = ();

    fn upload(&self, _gpu: &Gpu, _input_quants: &[TensorQuant]) {}

    fn record(&self, _: &(), node: &mut Launch) -> Result<wgpu::Buffer> {
        let [h, w, c] = node.shapes[0];
        let pixels = node.batch as u32 * h * w;
        let mut acc = node.inputs[0].clone();
        let mut acc_c = c;
        for i in 1..node.inputs.len() {
            let ct = node.shapes[i][2];
            let total = (pixels * (acc_c + ct)) as usize;
            let dst = if i + 1 == node.inputs.len() { node.output() } else { node.gpu.storage("int8 concat part", total) };
            let p = ConcatParams { pixels, c1: acc_c, c2: ct, _pad: 0 };
            node.dispatches.push(Dispatch::new(node.gpu, &CONCAT, &p, &[&acc, node.inputs[i], &dst], words_grid(total))?);
            acc = dst;
            acc_c += ct;
        }
        Ok(acc)
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/concat.wgsl.
pub struct ConcatParams {
    /// Pixels (batch * h * w).
    pub pixels: u32,
    /// First input's channels.
    pub c1: u32,
    /// Second input's channels.
    pub c2: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: u32,
}

crate::uniform_fields!(ConcatParams: pixels, c1, c2, _pad);

/// `int8/concat`: shaders/int8/concat.wgsl.
#[rustfmt::skip]
pub static CONCAT: Kernel<ConcatParams> = crate::kernel!("int8/concat", ConcatParams, [R, R, W], "int8/packed");

/// The kernels of this op, each launched through its handle (`int8_gpu::shaders` registers them).
pub static KERNELS: &[&Shader] = &[&CONCAT.shader];
