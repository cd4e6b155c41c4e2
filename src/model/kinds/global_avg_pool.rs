//! Global average pooling: the mean over height and width per channel, [h, w, c] -> [1, 1, c].
//! Its output has a range of its own; exported as MEAN over the spatial axes.

use crate::model::layer::{Fields, LayerKind, OutputRange};
use crate::model::kinds::Layer;
use qat_int8::ops::{mean, OpShape};

/// A global average pooling layer (no options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalAvgPool;

impl GlobalAvgPool {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "global_avg_pool";

    /// Reads this kind's options from a spec file's layer (it has none).
    pub fn parse(_f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::GlobalAvgPool(GlobalAvgPool))
    }
}

impl LayerKind for GlobalAvgPool {
    fn op_name(&self) -> &'static str {
        Self::NAME
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Mean(mean::Shape)
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::Own
    }
}
