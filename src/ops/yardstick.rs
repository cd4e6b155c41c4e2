//! The frozen benchmark yardstick: a plain f32 matmul kernel kept in `benches/yardstick.wgsl`
//! and never tuned, which `qat bench` times beside each model's step (`train::bench::yardstick_gflops`).

use crate::gpu::shaders::{Access, Kernel, Shader, UniformLayout};

/// The uniform parameters of the yardstick kernel, `benches/yardstick.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct YardstickParams {
    /// Rows of A and C.
    pub m: u32,
    /// Columns of B and C.
    pub n: u32,
    /// The inner dimension.
    pub k: u32,
    /// Padding to 16 bytes.
    pub _pad: u32,
}

crate::uniform_fields!(YardstickParams: m, n, k, _pad);

/// The yardstick kernel: C = A x B, all 1024 x 1024 row-major f32.
pub static MATMUL: Kernel<YardstickParams> = Kernel::new(Shader {
    name: "yardstick/matmul",
    source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/yardstick.wgsl")),
    params: UniformLayout::of::<YardstickParams>,
    buffers: &[Access::R, Access::R, Access::W],
    overrides: &[],
});

/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&MATMUL.shader];
