//! Average pooling: size x size windows, stride, TensorFlow padding; each output is the mean of
//! its in-bounds taps. The output is re-quantized onto its input's grid (AVERAGE_POOL_2D shares
//! the input's scale and zero point): fake quant with the input's range, no observer.

use crate::model::layer::{padding_field, Fields, LayerKind, OutputRange};
use crate::model::kinds::Layer;
use qat_int8::ops::{avg_pool, OpShape};
use qat_int8::shape::Padding;

/// An average pooling layer's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvgPool {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes (default: the window size).
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: Padding,
}

impl AvgPool {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "avg_pool";

    /// Reads this kind's options from a spec file's layer.
    pub fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        let size = f.u32("size")?;
        Ok(Layer::AvgPool(AvgPool { size, stride: f.opt_u32("stride")?.unwrap_or(size), padding: f.padding()? }))
    }
}

impl LayerKind for AvgPool {
    fn spec_fields(&self) -> Vec<String> {
        vec![
            format!("size = {}", self.size),
            format!("stride = {}", self.stride),
            padding_field(self.padding),
        ]
    }
    fn op_name(&self) -> &'static str {
        Self::NAME
    }
    fn shape_op(&self) -> OpShape {
        OpShape::AvgPool(avg_pool::Shape { size: self.size, stride: self.stride, padding: self.padding })
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::InputRange
    }
}
