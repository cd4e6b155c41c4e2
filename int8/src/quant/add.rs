//! The int8 ADD rescale, prepared as TFLite's reference kernel prepares it: both inputs are
//! shifted left by 20 bits and brought to a common scale 2 * max(s1, s2), summed, and rescaled
//! to the output. All multipliers come from `quantize_multiplier`, computed in float64.

use crate::quant::multiplier::{multiply_by_quantized_multiplier, quantize_multiplier, QuantizedMultiplier};
use crate::quant::params::TensorQuant;

/// Inputs are shifted left by this many bits before their rescale (TFLite's `left_shift`).
pub const LEFT_SHIFT: i32 = 20;

/// The multipliers of an ADD: each input onto the shared grid of scale 2 * max(s1, s2), and
/// the sum onto the output's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddRescale {
    /// s1 / (2 max(s1, s2)).
    pub input1: QuantizedMultiplier,
    /// s2 / (2 max(s1, s2)).
    pub input2: QuantizedMultiplier,
    /// 2 max(s1, s2) / (2^20 s_out).
    pub output: QuantizedMultiplier,
}

impl AddRescale {
    /// The multipliers for inputs `a`, `b` and output `out`.
    pub fn new(a: TensorQuant, b: TensorQuant, out: TensorQuant) -> AddRescale {
        let twice_max = 2.0 * (a.scale as f64).max(b.scale as f64);
        AddRescale {
            input1: quantize_multiplier(a.scale as f64 / twice_max),
            input2: quantize_multiplier(b.scale as f64 / twice_max),
            output: quantize_multiplier(twice_max / ((1i64 << LEFT_SHIFT) as f64 * out.scale as f64)),
        }
    }

    /// The int8 sum before clamping, from int8 inputs.
    /// Overflow: |q - zp| <= 255 < 2^8, so the shifted value is below 2^28; each scaled input
    /// has multiplier <= 1/2 after its shift, so the sum stays below 2^28 too.
    pub fn apply(&self, qa: i8, zpa: i32, qb: i8, zpb: i32, zp_out: i32) -> i32 {
        let a = multiply_by_quantized_multiplier((qa as i32 - zpa) << LEFT_SHIFT, self.input1);
        let b = multiply_by_quantized_multiplier((qb as i32 - zpb) << LEFT_SHIFT, self.input2);
        multiply_by_quantized_multiplier(a + b, self.output).saturating_add(zp_out)
    }
}
