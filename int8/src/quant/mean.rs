//! The int8 MEAN over height and width (global average pooling), prepared as LiteRT's reference
//! kernel does: (M, sh) = QuantizeMultiplier(s_in / s_out); k = min(floor(log2 n), 32, 31 + sh);
//! M' = (M << k) / n (i64, truncating); out = MBQM(sum(x) - zp_in * n, M', sh - k) + zp_out.

use crate::quant::multiplier::{multiply_by_quantized_multiplier, quantize_multiplier, QuantizedMultiplier};
use crate::quant::params::TensorQuant;

/// The rescale of a MEAN over `count` values: the sum times s_in / (s_out * count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeanRescale {
    /// M' = (M << k) / count with shift sh - k: s_in / s_out with the division folded in (above).
    pub multiplier: QuantizedMultiplier,
    /// Values averaged (h * w).
    pub count: i32,
}

impl MeanRescale {
    /// The rescale from `input` to `output` over `count` values.
    pub fn new(input: TensorQuant, output: TensorQuant, count: u32) -> MeanRescale {
        let base = quantize_multiplier(input.scale as f64 / output.scale as f64);
        let n = count.max(1) as i64;
        let log2 = 63 - (n as u64).leading_zeros() as i32;
        let k = log2.min(32).min(31 + base.shift).max(0);
        let m = ((base.multiplier as i64) << k) / n;
        MeanRescale {
            multiplier: QuantizedMultiplier { multiplier: m as i32, shift: base.shift - k },
            count: count as i32,
        }
    }

    /// The int8 mean before clamping, from the raw sum of the int8 inputs.
    /// Overflow: |sum - zp * n| <= 255 n, far inside i32 for any image.
    pub fn apply(&self, sum: i32, zp_in: i32, zp_out: i32) -> i32 {
        multiply_by_quantized_multiplier(sum - zp_in * self.count, self.multiplier).saturating_add(zp_out)
    }
}
