//! Add: the elementwise sum of two tensors of one shape, then the activation. Its output has a
//! range of its own; exported as ADD (each input rescaled to a 20-bit shared grid, as TFLite).

use crate::model::layer::{Fields, LayerKind, OutputRange};
use crate::model::kinds::Layer;
use qat_int8::quant::clamp::Activation;
use qat_int8::ops::{add, OpShape};

/// An add layer's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Add {
    /// The fused activation.
    pub activation: Activation,
}

impl Add {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "add";

    /// Reads this kind's options from a spec file's layer.
    pub fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::Add(Add { activation: f.activation()? }))
    }
}

impl LayerKind for Add {
    fn op_name(&self) -> &'static str {
        Self::NAME
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Add(add::Shape)
    }
    fn activation(&self) -> Activation {
        self.activation
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::Own
    }
    fn may_feed_concat(&self) -> bool {
        true
    }
}
