//! MAX_POOL_2D on the GPU: int8/max_pool.wgsl and the launcher.

use super::packing::words_grid;
use super::window::WindowParams;
use super::{GpuOp, Launch};
use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::Gpu;
use crate::Result;
use crate::gpu::dispatch::Dispatch;
use qat_int8::ops::max_pool::MaxPool;
use qat_int8::quant::clamp::Clamp;
use qat_int8::quant::params::TensorQuant;

impl GpuOp for MaxPool {
    type Weights = ();

    fn upload(&self, _gpu: &Gpu, _input_quants: &[TensorQuant]) {}

    fn record(&self, _: &(), node: &mut Launch) -> Result<wgpu::Buffer> {
        let p = node.window([self.size, self.size], self.stride, self.padding, Clamp::FULL);
        let y = node.output();
        let grid = words_grid(node.output_values());
        let spec = p.specialization(true, false);
        node.dispatches.push(Dispatch::specialized(node.gpu, &MAX_POOL, &spec, &p, &[node.inputs[0], &y], grid)?);
        Ok(y)
    }
}

/// `int8/max_pool`: shaders/int8/max_pool.wgsl.
#[rustfmt::skip]
pub static MAX_POOL: Kernel<WindowParams> = crate::kernel!("int8/max_pool", WindowParams, [R, W], "int8/window_params", "int8/packed"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT"]);

/// The kernels of this op, each launched through its handle (`int8_gpu::shaders` registers them).
pub static KERNELS: &[&Shader] = &[&MAX_POOL.shader];
