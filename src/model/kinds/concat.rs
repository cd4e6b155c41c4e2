//! Concat on the channel axis of two or more inputs of one height and width. The inputs and the
//! output share one scale: the Concat's own range quantizes them all (`model::placement`);
//! exported as CONCATENATION.

use crate::model::layer::{Fields, LayerKind, OutputRange};
use crate::model::kinds::Layer;
use qat_int8::ops::{concat, OpShape};

/// A concat layer (no options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concat;

impl Concat {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "concat";

    /// Reads this kind's options from a spec file's layer (it has none).
    pub fn parse(_f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::Concat(Concat))
    }
}

impl LayerKind for Concat {
    fn op_name(&self) -> &'static str {
        Self::NAME
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Concat(concat::Shape)
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::Own
    }
}
