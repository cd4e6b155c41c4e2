//! The int8 model as the CPU interpreter runs it: a DAG of nodes (`crate::ops`) in topological order over int8
//! NHWC tensors, each with a per-tensor (scale, zero point). Tensor 0 is the quantized input,
//! tensor k + 1 the output of node k. Max pooling, average pooling and reshape keep their
//! input's parameters; Concat's inputs and output share one set; the other ops carry their
//! output's. Batch norm never appears: it is folded into the conv weights and biases.

use crate::ops::QLayer;
use crate::quant::multiplier::Rounding;
use crate::quant::params::TensorQuant;

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
    /// Output classes: the channels of the last node's [1, 1, classes] output (0 where the
    /// shapes do not check; `validate` says why).
    pub fn classes(&self) -> usize {
        let mut shapes = vec![self.input_shape];
        for node in &self.nodes {
            let inputs: Option<Vec<[u32; 3]>> = node.inputs.iter().map(|&t| shapes.get(t).copied()).collect();
            match inputs.map(|i| node.op.shape_op().infer(&i)) {
                Some(Ok(shape)) => shapes.push(shape),
                _ => return 0,
            }
        }
        if self.nodes.is_empty() {
            return 0;
        }
        shapes.last().map_or(0, |s| s[2] as usize)
    }
    /// Quantization of the logits.
    pub fn logits_quant(&self) -> TensorQuant {
        self.tensor_quants().last().copied().unwrap_or(self.input_quant)
    }
}
