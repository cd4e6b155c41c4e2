//! Max pooling of size x size windows at a stride, over their in-bounds taps ("valid", "same" or
//! explicit padding). The output keeps its input's quantization, so nothing is fake-quantized;
//! exported as MAX_POOL_2D.

use crate::model::layer::{padding_field, Fields, LayerKind};
use crate::model::kinds::Layer;
use qat_int8::ops::{max_pool, OpShape};
use qat_int8::shape::Padding;

/// A max pooling layer's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes (default: the window size).
    pub stride: u32,
    /// "valid" (the default), "same" or explicit.
    pub padding: Padding,
}

impl MaxPool {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "max_pool";

    /// Reads this kind's options from a spec file's layer.
    pub fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        let size = f.u32("size")?;
        let stride = f.opt_u32("stride")?.unwrap_or(size);
        Ok(Layer::MaxPool(MaxPool { size, stride, padding: f.padding()? }))
    }
}

impl LayerKind for MaxPool {
    fn spec_fields(&self) -> Vec<String> {
        let mut fields = vec![format!("size = {}", self.size), format!("stride = {}", self.stride)];
        if self.padding != Padding::Valid {
            fields.push(padding_field(self.padding));
        }
        fields
    }
    fn op_name(&self) -> &'static str {
        Self::NAME
    }
    fn shape_op(&self) -> OpShape {
        OpShape::MaxPool(max_pool::Shape { size: self.size, stride: self.stride, padding: self.padding })
    }
}
