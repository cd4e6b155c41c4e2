//! Quantization rules, each in one place: TF fake-quant nudging (`fake_quant`), the Q31
//! fixed-point multiplier and requantization (`multiplier`), float rounding (`rounding`),
//! per-tensor quantization parameters (`params`), fused activation clamps (`clamp`), and the
//! prepared rescales of ADD (`add`) and MEAN (`mean`).

pub mod add;
pub mod clamp;
pub mod fake_quant;
pub mod mean;
pub mod multiplier;
pub mod params;
pub mod rounding;
