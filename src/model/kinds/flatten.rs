//! Flatten: NHWC [h, w, c] -> [1, 1, h*w*c], no data movement (the buffer is shared). The output
//! keeps its input's quantization; exported as RESHAPE.

use crate::model::layer::{Fields, LayerKind};
use crate::model::kinds::Layer;
use qat_int8::ops::{flatten, OpShape};

/// A flatten layer (no options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flatten;

impl Flatten {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "flatten";

    /// Reads this kind's options from a spec file's layer (it has none).
    pub fn parse(_f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::Flatten(Flatten))
    }
}

impl LayerKind for Flatten {
    fn op_name(&self) -> &'static str {
        Self::NAME
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Flatten(flatten::Shape)
    }
}
