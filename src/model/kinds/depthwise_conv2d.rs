//! Depthwise Conv2D (depth multiplier 1): weights [KH, KW, C], the same options as Conv2D but no
//! filter count. Its output has a range of its own; exported as DEPTHWISE_CONV_2D with
//! per-channel weights.

use crate::model::geometry::Weights;
use crate::model::layer::{padding_field, Fields, LayerKind, OutputRange};
use crate::model::kinds::Layer;
use qat_int8::quant::clamp::Activation;
use qat_int8::ops::{depthwise_conv2d, OpShape};
use qat_int8::shape::Padding;

/// A depthwise Conv2D layer's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepthwiseConv2d {
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

impl DepthwiseConv2d {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "depthwise_conv2d";

    /// Reads this kind's options from a spec file's layer.
    pub fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::DepthwiseConv2d(DepthwiseConv2d {
            kernel: f.kernel()?,
            stride: f.opt_u32("stride")?.unwrap_or(1),
            padding: f.padding()?,
            batch_norm: f.flag("batch_norm")?,
            activation: f.activation()?,
        }))
    }
}

impl LayerKind for DepthwiseConv2d {
    fn spec_fields(&self) -> Vec<String> {
        vec![
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
        OpShape::DepthwiseConv2d(depthwise_conv2d::Shape { kernel: self.kernel, stride: self.stride, padding: self.padding })
    }
    fn activation(&self) -> Activation {
        self.activation
    }
    fn batch_norm(&self) -> bool {
        self.batch_norm
    }
    fn weights(&self, input: [u32; 3]) -> Option<Weights> {
        let k = (self.kernel[0] * self.kernel[1]) as usize;
        let c = input[2] as usize;
        let bn = if self.batch_norm { c } else { 0 };
        // Keras's depthwise_initializer fan: kernel taps in, kernel taps out.
        Some(Weights {
            weight_len: k * c,
            bias_len: c - bn,
            bn_channels: bn,
            fan_in: k,
            fan_out: k,
            channels: c,
            inner: 1,
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
