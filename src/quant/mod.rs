//! Quantization rules, each in one place: TF fake-quant nudging (`fake_quant`), the Q31
//! fixed-point multiplier and requantization (`multiplier`), float rounding (`rounding`), and
//! per-tensor quantization parameters (`params`).

pub mod fake_quant;
pub mod multiplier;
pub mod params;
pub mod rounding;
