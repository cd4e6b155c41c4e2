//! Dense (fully connected): [out, in] weights and a bias, then the activation, on a flat input.
//! Its output has a range of its own; exported as FULLY_CONNECTED with per-tensor weights (as
//! TFLite's kernel requires).

use crate::model::geometry::Weights;
use crate::model::layer::{Fields, LayerKind, OutputRange};
use crate::model::kinds::Layer;
use qat_int8::quant::clamp::Activation;
use qat_int8::ops::{fully_connected, OpShape};

/// A dense layer's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dense {
    /// Outputs.
    pub units: u32,
    /// The fused activation.
    pub activation: Activation,
}

impl Dense {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "dense";

    /// Reads this kind's options from a spec file's layer.
    pub fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::Dense(Dense { units: f.u32("units")?, activation: f.activation()? }))
    }
}

impl LayerKind for Dense {
    fn spec_fields(&self) -> Vec<String> {
        vec![format!("units = {}", self.units)]
    }
    fn op_name(&self) -> &'static str {
        Self::NAME
    }
    fn shape_op(&self) -> OpShape {
        OpShape::FullyConnected(fully_connected::Shape { units: self.units })
    }
    fn activation(&self) -> Activation {
        self.activation
    }
    fn weights(&self, input: [u32; 3]) -> Option<Weights> {
        let (o, i) = (self.units as usize, (input[0] * input[1] * input[2]) as usize);
        Some(Weights { weight_len: o * i, bias_len: o, bn_channels: 0, fan_in: i, fan_out: o, channels: o, inner: i })
    }
    fn per_channel_weights(&self) -> bool {
        false
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::Own
    }
    fn may_feed_concat(&self) -> bool {
        true
    }
}
