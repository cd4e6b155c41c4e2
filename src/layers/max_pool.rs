//! Max pooling with "valid" windows (size x size, stride). The output keeps its input's
//! quantization, so nothing is fake-quantized; exported as MAX_POOL_2D.

use super::{Fields, FromInt8, Layer, LayerKind};
use crate::ops::max_pool::MaxPoolParams;
use crate::quantize::Export;
use crate::train::plan::{Backward, Builder, Recorded};
use crate::Result;
use qat_int8::model::QLayer;
use qat_int8::shape::OpShape;

/// A max pooling layer's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes (default: the window size).
    pub stride: u32,
}

impl MaxPool {
    pub(crate) fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        let size = f.u32("size")?;
        Ok(Layer::MaxPool(MaxPool { size, stride: f.opt_u32("stride")?.unwrap_or(size) }))
    }

    pub(crate) fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        let QLayer::MaxPool { size, stride } = op else { return None };
        Some((Layer::MaxPool(MaxPool { size: *size, stride: *stride }), None))
    }
}

struct Rec {
    p: MaxPoolParams,
    argmax: wgpu::Buffer,
    input: usize,
}

impl LayerKind for MaxPool {
    fn op_name(&self) -> &'static str {
        "max_pool"
    }
    fn shape_op(&self) -> OpShape {
        OpShape::MaxPool { size: self.size, stride: self.stride }
    }
    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let input = b.node_of(k).inputs[0];
        let p = MaxPoolParams::new(b.batch(), b.shape(input), self.size, self.stride)?;
        let (y, argmax) =
            (b.gpu().storage("pool output", p.output_len()), b.gpu().storage("pool argmax", p.output_len()));
        let d = p.forward(b.gpu(), &b.tensor(input).0, &y, &argmax)?;
        b.push(d);
        b.record(Box::new(Rec { p, argmax, input }));
        Ok((y, p.output_len()))
    }
    fn export(&self, _x: &Export) -> Result<QLayer> {
        Ok(QLayer::MaxPool { size: self.size, stride: self.stride })
    }
}

impl Recorded for Rec {
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()> {
        let dx = back.gpu().storage("grad", self.p.input_len());
        let d = self.p.backward(back.gpu(), &dy, &self.argmax, &dx)?;
        back.push(d);
        back.give(self.input, dx, self.p.input_len())
    }
}
