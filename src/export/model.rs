//! The int8 model as the CPU interpreter runs it. Tensors are int8 NHWC with per-tensor
//! (scale, zero point); max pooling and reshape keep their input's parameters.

use crate::ops::conv2d::Padding;
use crate::quant::multiplier::{QuantizedMultiplier, Rounding};
use crate::quant::params::TensorQuant;

#[derive(Debug, Clone, PartialEq)]
pub struct QuantModel {
    pub rounding: Rounding,
    /// Input shape [h, w, c]; the float input is QUANTIZE'd with `input_quant`.
    pub input_shape: [u32; 3],
    pub input_quant: TensorQuant,
    pub layers: Vec<QLayer>,
}

pub use crate::quant::clamp::Clamp;

#[derive(Debug, Clone, PartialEq)]
pub enum QLayer {
    /// CONV_2D: int8 OHWI weights per output channel (zero point 0), int32 bias with scale
    /// input_scale * weight_scale[c], requantized with (multiplier, shift)[c].
    Conv2d {
        out_channels: u32,
        kernel: [u32; 2],
        in_channels: u32,
        stride: u32,
        padding: Padding,
        relu: bool,
        weight_scales: Vec<f32>,
        multipliers: Vec<QuantizedMultiplier>,
        bias: Vec<i32>,
        weights: Vec<i8>,
        output: TensorQuant,
        clamp: Clamp,
    },
    /// MAX_POOL_2D, valid windows.
    MaxPool { size: u32, stride: u32 },
    /// RESHAPE to [1, 1, h*w*c].
    Flatten,
    /// FULLY_CONNECTED: int8 [out, in] weights per tensor (zero point 0), int32 bias, float64
    /// rescale (LiteRT's reference rule for this op).
    FullyConnected {
        units: u32,
        inputs: u32,
        relu: bool,
        weight_scale: f32,
        bias: Vec<i32>,
        weights: Vec<i8>,
        output: TensorQuant,
        clamp: Clamp,
    },
}

impl QLayer {
    pub fn op_name(&self) -> &'static str {
        match self {
            QLayer::Conv2d { .. } => "CONV_2D",
            QLayer::MaxPool { .. } => "MAX_POOL_2D",
            QLayer::Flatten => "RESHAPE",
            QLayer::FullyConnected { .. } => "FULLY_CONNECTED",
        }
    }
}

impl QuantModel {
    /// Quantization of every layer's output, in order.
    pub fn output_quants(&self) -> Vec<TensorQuant> {
        let mut cur = self.input_quant;
        self.layers
            .iter()
            .map(|l| {
                if let QLayer::Conv2d { output, .. } | QLayer::FullyConnected { output, .. } = l {
                    cur = *output;
                }
                cur
            })
            .collect()
    }
    /// Quantization of the logits.
    pub fn logits_quant(&self) -> TensorQuant {
        self.output_quants().last().copied().unwrap_or(self.input_quant)
    }
}
