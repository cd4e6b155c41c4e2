//! How the int8 kernels compute their 64-bit products and the float64 rescale (`Arithmetic`),
//! and one kernel compiled for each arithmetic and dot-product path (`Variants`).

use crate::gpu::shaders::Kernel;
use crate::gpu::Gpu;

/// How the int8 kernels compute their 64-bit products and the float64 rescale: with 32-bit
/// words only (every adapter), or natively with 64-bit integers and float64 (adapters with
/// SHADER_INT64 and SHADER_F64). Both give the same bytes; a kernel is compiled with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arithmetic {
    /// 16-bit limbs in u32 (shaders/int8/requantize.wgsl).
    Words,
    /// i64 and f64 (shaders/int8/requantize_native.wgsl).
    Native,
}

impl Arithmetic {
    /// Native where the device has SHADER_INT64 and SHADER_F64, else words.
    pub fn best(gpu: &Gpu) -> Arithmetic {
        if Self::Native.available(gpu) {
            Arithmetic::Native
        } else {
            Arithmetic::Words
        }
    }
    /// Whether the device can compile this arithmetic.
    pub fn available(&self, gpu: &Gpu) -> bool {
        match self {
            Arithmetic::Words => true,
            Arithmetic::Native => {
                gpu.device.features().contains(wgpu::Features::SHADER_INT64 | wgpu::Features::SHADER_F64)
            }
        }
    }
    /// The kernel of `v` compiled with this arithmetic and, with `dot4` (where the kernel has
    /// dot products), WGSL's dot4I8Packed for them.
    pub fn pick<P>(&self, v: &Variants<P>, dot4: bool) -> &'static Kernel<P> {
        match (self, dot4) {
            (Arithmetic::Words, false) => v.words,
            (Arithmetic::Words, true) => v.words_dot4,
            (Arithmetic::Native, false) => v.native,
            (Arithmetic::Native, true) => v.native_dot4,
        }
    }
}

/// One int8 kernel as compiled for each arithmetic and dot-product path (a kernel without dot
/// products has the same kernel for both paths).
pub struct Variants<P: 'static> {
    /// 32-bit words, unpacked dot products.
    pub words: &'static Kernel<P>,
    /// 32-bit words, dot4I8Packed.
    pub words_dot4: &'static Kernel<P>,
    /// i64 and f64, unpacked dot products.
    pub native: &'static Kernel<P>,
    /// i64 and f64, dot4I8Packed.
    pub native_dot4: &'static Kernel<P>,
}
