//! Quantization rules, each in one place: TF fake-quant nudging (`fake_quant`), the Q31
//! fixed-point multiplier and requantization (`multiplier`), float rounding (`rounding`),
//! per-tensor quantization parameters (`params`), per-channel ones (`per_channel`), fused activation clamps (`clamp`), the
//! prepared rescales of ADD (`add`) and MEAN (`mean`), double rounding as QAT simulates it
//! (`double_rounding`), and the widening of a weight scale that a bias needs (`bias_scale`).

pub mod add;
pub mod bias_scale;
pub mod clamp;
pub mod double_rounding;
pub mod fake_quant;
pub mod mean;
pub mod multiplier;
pub mod params;
pub mod per_channel;
pub mod rounding;
