//! The int8 model as the CPU interpreter runs it: a DAG of nodes in topological order over int8
//! NHWC tensors, each with a per-tensor (scale, zero point). Tensor 0 is the quantized input,
//! tensor k + 1 the output of node k. Max pooling, average pooling and reshape keep their
//! input's parameters; Concat's inputs and output share one set; the other ops carry their
//! output's. Batch norm never appears: it is folded into the conv weights and biases.

use crate::quant::clamp::Activation;
use crate::quant::multiplier::{QuantizedMultiplier, Rounding};
use crate::quant::params::TensorQuant;
use crate::shape::{OpShape, Padding};

pub use crate::quant::clamp::Clamp;

/// An int8 model: its input, how the input is quantized, and its nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantModel {
    /// The fixed-point rounding rule of the requantization (LiteRT's double rounding).
    pub rounding: Rounding,
    /// Input shape [h, w, c]; the float input is QUANTIZE'd with `input_quant`.
    pub input_shape: [u32; 3],
    /// The quantization of the model input (tensor 0).
    pub input_quant: TensorQuant,
    /// How an image becomes the float input (`InputNorm`).
    pub input_norm: InputNorm,
    /// The nodes, in topological order; the last is the logits.
    pub nodes: Vec<QNode>,
}

/// The input normalization: an image of u8 pixels p becomes the float input the model (and its
/// `.tflite` and ONNX exports) takes, x\[c\] = (p / 255 - mean\[c\]) / std\[c\], in float32. Models
/// trained here use mean 0 and std 1 (x = p / 255).
#[derive(Debug, Clone, PartialEq)]
pub struct InputNorm {
    /// Mean per channel.
    pub mean: Vec<f32>,
    /// Standard deviation per channel.
    pub std: Vec<f32>,
}

impl InputNorm {
    /// x = p / 255 for `channels` channels.
    pub fn unit(channels: u32) -> InputNorm {
        InputNorm { mean: vec![0.0; channels as usize], std: vec![1.0; channels as usize] }
    }
    /// The float input of pixel `p` in channel `c`.
    pub fn apply(&self, p: u8, c: usize) -> f32 {
        (p as f32 / 255.0 - self.mean[c]) / self.std[c]
    }
    /// True for x = p / 255.
    pub fn is_unit(&self) -> bool {
        self.mean.iter().all(|&m| m == 0.0) && self.std.iter().all(|&s| s == 1.0)
    }
}

/// One node: its name, the tensors it reads and its op.
#[derive(Debug, Clone, PartialEq)]
pub struct QNode {
    /// The layer's name in the training spec.
    pub name: String,
    /// Tensor ids read (each at most this node's index).
    pub inputs: Vec<usize>,
    /// What the node computes.
    pub op: QLayer,
}

/// An int8 op, named after the TFLite builtin it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum QLayer {
    /// CONV_2D: int8 OHWI weights per output channel (zero point 0), int32 bias with scale
    /// input_scale * weight_scale\[c\], requantized with (multiplier, shift)\[c\].
    Conv2d {
        /// Output channels.
        out_channels: u32,
        /// [height, width] of the kernel.
        kernel: [u32; 2],
        /// Input channels.
        in_channels: u32,
        /// Stride on both axes.
        stride: u32,
        /// TensorFlow's "valid" or "same".
        padding: Padding,
        /// The fused activation.
        activation: Activation,
        /// The scale of each output channel's weights.
        weight_scales: Vec<f32>,
        /// The requantization multiplier of each output channel: input_scale * weight_scale\[c\] / output_scale.
        multipliers: Vec<QuantizedMultiplier>,
        /// Int32 biases at scale input_scale * weight_scale\[c\].
        bias: Vec<i32>,
        /// Int8 weights (zero point 0, in [-127, 127]).
        weights: Vec<i8>,
        /// The output's quantization.
        output: TensorQuant,
        /// The fused activation's clamp on the output grid.
        clamp: Clamp,
    },
    /// DEPTHWISE_CONV_2D (depth multiplier 1): int8 weights [KH, KW, C] per channel.
    DepthwiseConv2d {
        /// Channels (input and output).
        channels: u32,
        /// [height, width] of the kernel.
        kernel: [u32; 2],
        /// Stride on both axes.
        stride: u32,
        /// TensorFlow's "valid" or "same".
        padding: Padding,
        /// The fused activation.
        activation: Activation,
        /// The scale of each output channel's weights.
        weight_scales: Vec<f32>,
        /// The requantization multiplier of each output channel: input_scale * weight_scale\[c\] / output_scale.
        multipliers: Vec<QuantizedMultiplier>,
        /// Int32 biases at scale input_scale * weight_scale\[c\].
        bias: Vec<i32>,
        /// Int8 weights (zero point 0, in [-127, 127]).
        weights: Vec<i8>,
        /// The output's quantization.
        output: TensorQuant,
        /// The fused activation's clamp on the output grid.
        clamp: Clamp,
    },
    /// MAX_POOL_2D, valid windows.
    MaxPool {
        /// Window height and width.
        size: u32,
        /// Stride on both axes.
        stride: u32,
    },
    /// AVERAGE_POOL_2D (input and output share scale and zero point).
    AvgPool {
        /// Window height and width.
        size: u32,
        /// Stride on both axes.
        stride: u32,
        /// TensorFlow's "valid" or "same".
        padding: Padding,
    },
    /// MEAN over height and width (global average pooling).
    Mean {
        /// The output's quantization.
        output: TensorQuant,
    },
    /// RESHAPE to [1, 1, h*w*c].
    Flatten,
    /// FULLY_CONNECTED: int8 [out, in] weights per tensor (zero point 0), int32 bias, float64
    /// rescale (LiteRT's reference rule for this op).
    FullyConnected {
        /// Outputs.
        units: u32,
        /// Inputs (the flattened input tensor).
        inputs: u32,
        /// The fused activation.
        activation: Activation,
        /// The scale of all weights (per tensor).
        weight_scale: f32,
        /// Int32 biases at scale input_scale * weight_scale\[c\].
        bias: Vec<i32>,
        /// Int8 weights (zero point 0, in [-127, 127]).
        weights: Vec<i8>,
        /// The output's quantization.
        output: TensorQuant,
        /// The fused activation's clamp on the output grid.
        clamp: Clamp,
    },
    /// ADD with the 20-bit rescale.
    Add {
        /// The fused activation.
        activation: Activation,
        /// The output's quantization.
        output: TensorQuant,
        /// The fused activation's clamp on the output grid.
        clamp: Clamp,
    },
    /// CONCATENATION on channels, inputs and output sharing one scale and zero point.
    Concat,
}

impl QLayer {
    /// The TFLite builtin's name, e.g. `CONV_2D`.
    pub fn op_name(&self) -> &'static str {
        match self {
            QLayer::Conv2d { .. } => "CONV_2D",
            QLayer::DepthwiseConv2d { .. } => "DEPTHWISE_CONV_2D",
            QLayer::MaxPool { .. } => "MAX_POOL_2D",
            QLayer::AvgPool { .. } => "AVERAGE_POOL_2D",
            QLayer::Mean { .. } => "MEAN",
            QLayer::Flatten => "RESHAPE",
            QLayer::FullyConnected { .. } => "FULLY_CONNECTED",
            QLayer::Add { .. } => "ADD",
            QLayer::Concat => "CONCATENATION",
        }
    }
    /// What the op's output shape depends on (`shape::infer` does the rest).
    pub fn shape_op(&self) -> OpShape {
        match *self {
            QLayer::Conv2d { out_channels, kernel, stride, padding, .. } => {
                OpShape::Conv { filters: out_channels, kernel, stride, padding }
            }
            QLayer::DepthwiseConv2d { kernel, stride, padding, .. } => OpShape::Depthwise { kernel, stride, padding },
            QLayer::MaxPool { size, stride } => OpShape::MaxPool { size, stride },
            QLayer::AvgPool { size, stride, padding } => OpShape::AvgPool { size, stride, padding },
            QLayer::Mean { .. } => OpShape::Mean,
            QLayer::Flatten => OpShape::Flatten,
            QLayer::FullyConnected { units, .. } => OpShape::Dense { units },
            QLayer::Add { .. } => OpShape::Add,
            QLayer::Concat => OpShape::Concat,
        }
    }
    /// The output quantization this op sets, if it sets one.
    pub fn output_quant(&self) -> Option<TensorQuant> {
        match self {
            QLayer::Conv2d { output, .. }
            | QLayer::DepthwiseConv2d { output, .. }
            | QLayer::FullyConnected { output, .. }
            | QLayer::Add { output, .. }
            | QLayer::Mean { output } => Some(*output),
            _ => None,
        }
    }
}

impl QuantModel {
    /// Quantization of every tensor (0: the input).
    pub fn tensor_quants(&self) -> Vec<TensorQuant> {
        let mut q = vec![self.input_quant];
        for node in &self.nodes {
            let own = node.op.output_quant().unwrap_or_else(|| q[node.inputs[0]]);
            q.push(own);
        }
        q
    }
    /// Output classes: the units of the last (FULLY_CONNECTED) node.
    pub fn classes(&self) -> usize {
        match self.nodes.last().map(|n| &n.op) {
            Some(QLayer::FullyConnected { units, .. }) => *units as usize,
            _ => 0,
        }
    }
    /// Quantization of the logits.
    pub fn logits_quant(&self) -> TensorQuant {
        self.tensor_quants().last().copied().unwrap_or(self.input_quant)
    }
}
