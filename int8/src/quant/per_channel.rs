//! Per-channel quantization data of a weighted op (CONV_2D, DEPTHWISE_CONV_2D): for each output
//! channel its weight scale, its requantization multiplier and its int32 bias.

use crate::quant::multiplier::QuantizedMultiplier;

/// Each output channel's weight scale, multiplier and bias (all three of one length).
#[derive(Debug, Clone, PartialEq)]
pub struct PerChannel {
    /// The scale of each output channel's weights.
    pub weight_scales: Vec<f32>,
    /// The requantization multiplier of each output channel: input_scale * weight_scale\[c\] / output_scale.
    pub multipliers: Vec<QuantizedMultiplier>,
    /// Int32 biases at scale input_scale * weight_scale\[c\].
    pub bias: Vec<i32>,
}
