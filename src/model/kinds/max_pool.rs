//! Max pooling with "valid" windows (size x size, stride). The output keeps its input's
//! quantization, so nothing is fake-quantized; exported as MAX_POOL_2D.

use crate::model::layer::{Fields, LayerKind};
use crate::model::kinds::Layer;
use qat_int8::ops::{max_pool, OpShape};

/// A max pooling layer's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes (default: the window size).
    pub stride: u32,
}

impl MaxPool {
    /// The spec file's `type` of this kind.
    pub const NAME: &'static str = "max_pool";

    /// Reads this kind's options from a spec file's layer.
    pub fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        let size = f.u32("size")?;
        Ok(Layer::MaxPool(MaxPool { size, stride: f.opt_u32("stride")?.unwrap_or(size) }))
    }
}

impl LayerKind for MaxPool {
    fn spec_fields(&self) -> Vec<String> {
        vec![format!("size = {}", self.size), format!("stride = {}", self.stride)]
    }
    fn op_name(&self) -> &'static str {
        Self::NAME
    }
    fn shape_op(&self) -> OpShape {
        OpShape::MaxPool(max_pool::Shape { size: self.size, stride: self.stride })
    }
}
