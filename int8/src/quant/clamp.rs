//! Fused activation clamps of int8 outputs, as TFLite computes them: the bounds are the output
//! zero point plus the activation's limits quantized in float32 (round half away from zero).

use crate::quant::params::TensorQuant;
use crate::quant::rounding::round_half_away_f32;

/// Inclusive int8 bounds of an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clamp {
    /// The smallest output value.
    pub min: i32,
    /// The largest output value.
    pub max: i32,
}

/// The activation fused into an op's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// None: the full int8 range.
    None,
    /// max(x, 0).
    Relu,
    /// min(max(x, 0), 6).
    Relu6,
}

impl Clamp {
    /// No clamp: [-128, 127].
    pub const FULL: Clamp = Clamp { min: -128, max: 127 };

    /// TFLite's CalculateActivationRangeQuantized for int8:
    /// ReLU: [max(-128, zp), 127]; ReLU6: [max(-128, zp), min(127, zp + round(6 / scale))].
    pub fn fused(activation: Activation, out: TensorQuant) -> Clamp {
        let quantize =
            |f: f32| out.zero_point.saturating_add(round_half_away_f32(f / out.scale).clamp(-1.0e9, 1.0e9) as i32);
        match activation {
            Activation::None => Clamp::FULL,
            Activation::Relu => Clamp { min: quantize(0.0).max(-128), max: 127 },
            Activation::Relu6 => Clamp { min: quantize(0.0).max(-128), max: quantize(6.0).min(127) },
        }
    }
}
