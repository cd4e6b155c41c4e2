//! Conv2D: OHWI weights, stride, TensorFlow padding; with `batch_norm` it has no bias and a batch
//! norm follows (folded during QAT); then the activation, with nothing quantized between the
//! three. Its output has a range of its own; exported as CONV_2D with per-channel weights.

use crate::model::geometry::Weights;
use crate::model::layer::{padding_field, Fields, LayerKind, OutputRange};
use crate::model::kinds::Layer;
use qat_int8::quant::clamp::Activation;
use qat_int8::ops::{conv2d, OpShape};
use qat_int8::shape::Padding;

/// A Conv2D layer's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conv2d {
    /// Output channels.
    pub filters: u32,
    /// [height, width] of the kernel.
    pub kernel: [u32; 2],
    /// Stride on both axes.
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: Padding,
    /// A batch norm follows (and the conv has no bias).
    pub batch_norm: bool,
    /// The fused activation.
    pub activation: Activation,
}

impl Conv2d {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "conv2d";

    /// Reads this kind's options from a spec file's layer.
    pub fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::Conv2d(Conv2d {
            filters: f.u32("filters")?,
            kernel: f.kernel()?,
            stride: f.opt_u32("stride")?.unwrap_or(1),
            padding: f.padding()?,
            batch_norm: f.flag("batch_norm")?,
            activation: f.activation()?,
        }))
    }
}

impl LayerKind for Conv2d {
    fn spec_fields(&self) -> Vec<String> {
        vec![
            format!("filters = {}", self.filters),
            format!("kernel = [{}, {}]", self.kernel[0], self.kernel[1]),
            format!("stride = {}", self.stride),
            padding_field(self.padding),
            format!("batch_norm = {}", self.batch_norm),
        ]
    }
    fn op_name(&self) -> &'static str {
        Self::NAME
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Conv2d(conv2d::Shape { filters: self.filters, kernel: self.kernel, stride: self.stride, padding: self.padding })
    }
    fn activation(&self) -> Activation {
        self.activation
    }
    fn batch_norm(&self) -> bool {
        self.batch_norm
    }
    fn weights(&self, input: [u32; 3]) -> Option<Weights> {
        let k = (self.kernel[0] * self.kernel[1]) as usize;
        let (o, c) = (self.filters as usize, input[2] as usize);
        let bn = if self.batch_norm { o } else { 0 };
        Some(Weights {
            weight_len: o * k * c,
            bias_len: o - bn,
            bn_channels: bn,
            fan_in: k * c,
            fan_out: k * o,
            channels: o,
            inner: k * c,
        })
    }
    fn double_rounding(&self) -> bool {
        true
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::Own
    }
    fn may_feed_concat(&self) -> bool {
        true
    }
}
