//! The rescale rules' host side: FULLY_CONNECTED's float64 multiplier as the integer parts the
//! WGSL takes (`DoubleMultiplier`), and the test kernel that applies both rescale rules
//! (shaders/int8/requantize.wgsl, requantize_native.wgsl) to given values, with its CPU twin.

use super::arithmetic::{Arithmetic, Variants};
use crate::gpu::dispatch::{Dispatch, Grid, WORKGROUP_SIZE};
use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::Gpu;
use crate::Result;

/// A positive float64 multiplier m = mantissa * 2^exponent, mantissa a 53-bit integer: how the
/// GPU receives FULLY_CONNECTED's `f64(s_in) * f64(s_w) / f64(s_out)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoubleMultiplier {
    /// The mantissa's low 32 bits.
    pub mantissa_lo: u32,
    /// The mantissa's high 21 bits.
    pub mantissa_hi: u32,
    /// The power of two.
    pub exponent: i32,
}

impl DoubleMultiplier {
    /// The parts of `m` (finite and positive; anything else gives 0, which rescales to 0). A
    /// subnormal m is exact too (its mantissa is then shorter than 53 bits).
    pub fn new(m: f64) -> DoubleMultiplier {
        if !(m.is_finite() && m > 0.0) {
            return DoubleMultiplier { mantissa_lo: 0, mantissa_hi: 0, exponent: 0 };
        }
        let bits = m.to_bits();
        let exp_bits = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        let (mantissa, exponent) = if exp_bits == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp_bits - 1075) };
        DoubleMultiplier { mantissa_lo: mantissa as u32, mantissa_hi: (mantissa >> 32) as u32, exponent }
    }
    /// As the four words the WGSL reads: mantissa lo, hi, exponent bits, 0.
    pub fn words(&self) -> [u32; 4] {
        [self.mantissa_lo, self.mantissa_hi, self.exponent as u32, 0]
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/requantize_each.wgsl.
pub struct RequantizeEachParams {
    /// Values.
    pub count: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 3],
}

crate::uniform_fields!(RequantizeEachParams: count, _pad);

impl RequantizeEachParams {
    /// Records `out[i] = (MBQM(acc[i], fixed[i]), FC rescale(acc[i], double[i]))`; `fixed` holds
    /// (multiplier, shift) pairs, `double` the `DoubleMultiplier::words`.
    pub fn dispatch(
        gpu: &Gpu,
        arithmetic: Arithmetic,
        count: usize,
        acc: &wgpu::Buffer,
        fixed: &wgpu::Buffer,
        double: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let p = RequantizeEachParams { count: count as u32, _pad: [0; 3] };
        Dispatch::new(
            gpu,
            arithmetic.pick(&REQUANTIZE_EACH_VARIANTS, false),
            &p,
            &[acc, fixed, double, out],
            Grid::items(count, WORKGROUP_SIZE),
        )
    }
}

/// The requantization kernels of the tests.
pub static REQUANTIZE_EACH_VARIANTS: Variants<RequantizeEachParams> = Variants {
    words: &REQUANTIZE_EACH,
    words_dot4: &REQUANTIZE_EACH,
    native: &REQUANTIZE_EACH_NATIVE,
    native_dot4: &REQUANTIZE_EACH_NATIVE,
};

/// `int8/requantize_each`: shaders/int8/requantize_each.wgsl.
#[rustfmt::skip]
pub static REQUANTIZE_EACH: Kernel<RequantizeEachParams> = crate::kernel!("int8/requantize_each", RequantizeEachParams, [R, R, R, W], "int8/requantize");
/// `int8/requantize_each#native`: shaders/int8/requantize_each.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static REQUANTIZE_EACH_NATIVE: Kernel<RequantizeEachParams> = crate::kernel!("int8/requantize_each#native" from "int8/requantize_each", RequantizeEachParams, [R, R, R, W], "int8/requantize_native");

/// The kernels of this file, each launched through its handle (`int8_gpu::shaders` registers them).
pub static KERNELS: &[&Shader] = &[&REQUANTIZE_EACH.shader, &REQUANTIZE_EACH_NATIVE.shader];

/// Twin of int8/requantize_each: the int8 crate's own rules.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use qat_int8::quant::multiplier::{multiply_by_quantized_multiplier, QuantizedMultiplier};
    use qat_int8::quant::rounding::round_half_away_f64;

    /// Twin of int8/requantize_each.wgsl: (MBQM with double rounding, FULLY_CONNECTED's
    /// `round_half_away(f64(acc) * m)` saturated to i32) for each value.
    pub fn requantize_each(acc: &[i32], fixed: &[QuantizedMultiplier], double: &[f64]) -> Vec<[i32; 2]> {
        acc.iter()
            .zip(fixed)
            .zip(double)
            .map(|((&a, &q), &m)| [multiply_by_quantized_multiplier(a, q), round_half_away_f64(a as f64 * m) as i32])
            .collect()
    }
}
