//! RESHAPE (flatten) on the GPU: no kernel, the same bytes read as [1, 1, h * w * c].

use super::{GpuOp, Launch};
use crate::gpu::shaders::Shader;
use crate::gpu::Gpu;
use crate::Result;
use qat_int8::ops::flatten::Flatten;
use qat_int8::quant::params::TensorQuant;

impl GpuOp for Flatten {
    type Weights = ();

    fn upload(&self, _gpu: &Gpu, _input_quants: &[TensorQuant]) {}

    fn record(&self, _: &(), node: &mut Launch) -> Result<wgpu::Buffer> {
        Ok(node.inputs[0].clone())
    }
}

/// This op has no kernel.
pub static KERNELS: &[&Shader] = &[];
