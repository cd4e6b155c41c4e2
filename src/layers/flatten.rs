//! Flatten: NHWC [h, w, c] -> [1, 1, h*w*c], no data movement (the buffer is shared). The output
//! keeps its input's quantization; exported as RESHAPE.

use super::{Fields, FromInt8, Layer, LayerKind};
use crate::quantize::Export;
use crate::train::plan::{Backward, Builder, Recorded};
use crate::Result;
use qat_int8::model::QLayer;
use qat_int8::shape::OpShape;

/// A flatten layer (no options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flatten;

impl Flatten {
    pub(crate) fn parse(_f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::Flatten(Flatten))
    }

    pub(crate) fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        matches!(op, QLayer::Flatten).then_some((Layer::Flatten(Flatten), None))
    }
}

struct Rec {
    input: usize,
}

impl LayerKind for Flatten {
    fn op_name(&self) -> &'static str {
        "flatten"
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Flatten
    }
    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let input = b.node_of(k).inputs[0];
        b.record(Box::new(Rec { input }));
        Ok(b.tensor(input))
    }
    fn export(&self, _x: &Export) -> Result<QLayer> {
        Ok(QLayer::Flatten)
    }
}

impl Recorded for Rec {
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()> {
        let len = back.tensor_len(self.input);
        back.give(self.input, dy, len)
    }
}
