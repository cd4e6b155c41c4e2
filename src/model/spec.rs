//! Sequential model specs and shape inference. Shapes are NHWC without the batch: [h, w, c];
//! Flatten and Dense produce [1, 1, units].

use crate::ops::conv2d::{output_size, Padding};
use crate::{QatError, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// Conv2D with OHWI weights and a bias, optionally followed by a fused ReLU.
    Conv2d { filters: u32, kernel: [u32; 2], stride: u32, padding: Padding, relu: bool },
    /// Max pooling, "valid" windows.
    MaxPool { size: u32, stride: u32 },
    /// NHWC -> [n, h*w*c] (no data movement).
    Flatten,
    /// Fully connected with [out, in] weights and a bias, optionally followed by ReLU.
    Dense { units: u32, relu: bool },
}

impl Layer {
    pub fn op_name(&self) -> &'static str {
        match self {
            Layer::Conv2d { .. } => "conv2d",
            Layer::MaxPool { .. } => "max_pool",
            Layer::Flatten => "flatten",
            Layer::Dense { .. } => "dense",
        }
    }
    pub fn has_weights(&self) -> bool {
        matches!(self, Layer::Conv2d { .. } | Layer::Dense { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    pub name: String,
    pub input: [u32; 3],
    pub layers: Vec<Layer>,
}

/// Names accepted by `--model`.
pub const BUILTINS: &[&str] = &["mnist-cnn"];

impl ModelSpec {
    /// TensorFlow Model Optimization's QAT example: Conv2D 12 3x3 valid + ReLU -> MaxPool 2x2
    /// -> Flatten -> Dense 10 on 28x28x1 inputs.
    pub fn mnist_cnn() -> ModelSpec {
        ModelSpec {
            name: "mnist-cnn".into(),
            input: [28, 28, 1],
            layers: vec![
                Layer::Conv2d { filters: 12, kernel: [3, 3], stride: 1, padding: Padding::Valid, relu: true },
                Layer::MaxPool { size: 2, stride: 2 },
                Layer::Flatten,
                Layer::Dense { units: 10, relu: false },
            ],
        }
    }

    pub fn builtin(name: &str) -> Result<ModelSpec> {
        match name {
            "mnist-cnn" => Ok(Self::mnist_cnn()),
            _ => Err(QatError::Invalid(format!("unknown model {name:?}; built-in models: {}", BUILTINS.join(", ")))),
        }
    }

    /// Output shape of every layer, in order; errors name the layer and the shapes.
    pub fn shapes(&self) -> Result<Vec<[u32; 3]>> {
        let mut cur = self.input;
        if cur.iter().any(|&d| d == 0) {
            return Err(QatError::Invalid(format!("model {}: input shape {cur:?} has a zero dimension", self.name)));
        }
        let mut out = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let err = |detail: String| QatError::Shape { layer: i, op: layer.op_name(), detail };
            cur = match *layer {
                Layer::Conv2d { filters, kernel, stride, padding, .. } => {
                    let oh = output_size(cur[0], kernel[0], stride, padding);
                    let ow = output_size(cur[1], kernel[1], stride, padding);
                    match (oh, ow) {
                        (Some((oh, _)), Some((ow, _))) if filters > 0 => [oh, ow, filters],
                        _ => return Err(err(format!("{kernel:?} kernel, stride {stride}, {padding:?} does not fit input {cur:?}"))),
                    }
                }
                Layer::MaxPool { size, stride } => {
                    if size == 0 || stride == 0 || cur[0] < size || cur[1] < size {
                        return Err(err(format!("window {size} stride {stride} does not fit input {cur:?}")));
                    }
                    [(cur[0] - size) / stride + 1, (cur[1] - size) / stride + 1, cur[2]]
                }
                Layer::Flatten => [1, 1, cur[0] * cur[1] * cur[2]],
                Layer::Dense { units, .. } => {
                    if cur[0] != 1 || cur[1] != 1 {
                        return Err(err(format!("needs a flat input, got {cur:?} (add a Flatten)")));
                    }
                    if units == 0 {
                        return Err(err("zero units".into()));
                    }
                    [1, 1, units]
                }
            };
            out.push(cur);
        }
        match self.layers.last() {
            Some(Layer::Dense { .. }) => Ok(out),
            _ => Err(QatError::Invalid(format!("model {}: the last layer must be Dense (the logits)", self.name))),
        }
    }

    /// Number of classes (units of the last Dense).
    pub fn classes(&self) -> Result<u32> {
        Ok(self.shapes()?.last().map(|s| s[2]).unwrap_or(0))
    }

    /// Parameter count (weights + biases), i.e. float32 weight bytes / 4.
    pub fn parameter_count(&self) -> Result<usize> {
        let shapes = self.shapes()?;
        let mut cur = self.input;
        let mut total = 0usize;
        for (layer, shape) in self.layers.iter().zip(&shapes) {
            total += match *layer {
                Layer::Conv2d { filters, kernel, .. } => (filters * kernel[0] * kernel[1] * cur[2] + filters) as usize,
                Layer::Dense { units, .. } => (units * cur[2] + units) as usize,
                _ => 0,
            };
            cur = *shape;
        }
        Ok(total)
    }
}
