//! Average pooling: size x size windows, stride, TensorFlow padding; each output is the mean of
//! its in-bounds taps. The output is re-quantized onto its input's grid (AVERAGE_POOL_2D shares
//! the input's scale and zero point): fake quant with the input's range, no observer.

use super::{Fields, FromInt8, Layer, LayerKind, OutputRange};
use crate::ops::avg_pool::AvgPoolParams;
use crate::quantize::Export;
use crate::train::plan::{Backward, Builder, Epilogue, Recorded};
use crate::Result;
use qat_int8::model::QLayer;
use qat_int8::shape::{OpShape, Padding};

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
    pub(crate) fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        let size = f.u32("size")?;
        Ok(Layer::AvgPool(AvgPool { size, stride: f.opt_u32("stride")?.unwrap_or(size), padding: f.padding()? }))
    }

    pub(crate) fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        let QLayer::AvgPool { size, stride, padding } = op else { return None };
        Some((Layer::AvgPool(AvgPool { size: *size, stride: *stride, padding: *padding }), None))
    }
}

struct Rec {
    p: AvgPoolParams,
    input: usize,
    epilogue: Epilogue,
}

impl LayerKind for AvgPool {
    fn op_name(&self) -> &'static str {
        "avg_pool"
    }
    fn shape_op(&self) -> OpShape {
        OpShape::AvgPool { size: self.size, stride: self.stride, padding: self.padding }
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::InputRange
    }
    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let input = b.node_of(k).inputs[0];
        let p = AvgPoolParams::new(b.batch(), b.shape(input), self.size, self.stride, self.padding)?;
        let y = b.gpu().storage("pool output", p.output_len());
        let d = p.forward(b.gpu(), &b.tensor(input).0, &y)?;
        b.push(d);
        let (y, epilogue) = b.epilogue(k, y, p.output_len())?;
        b.record(Box::new(Rec { p, input, epilogue }));
        Ok((y, p.output_len()))
    }
    fn export(&self, _x: &Export) -> Result<QLayer> {
        Ok(QLayer::AvgPool { size: self.size, stride: self.stride, padding: self.padding })
    }
}

impl Recorded for Rec {
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()> {
        let dy = back.epilogue(&self.epilogue, dy)?;
        let dx = back.gpu().storage("grad", self.p.input_len());
        let d = self.p.backward(back.gpu(), &dy, &dx)?;
        back.push(d);
        back.give(self.input, dx, self.p.input_len())
    }
}
