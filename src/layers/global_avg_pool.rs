//! Global average pooling: the mean over height and width per channel, [h, w, c] -> [1, 1, c].
//! Its output has a range of its own; exported as MEAN over the spatial axes.

use super::{Fields, FromInt8, Layer, LayerKind, OutputRange};
use crate::ops::global_avg_pool::GlobalAvgPoolParams;
use crate::quantize::Export;
use crate::train::plan::{Backward, Builder, Epilogue, Recorded};
use crate::Result;
use qat_int8::model::QLayer;
use qat_int8::shape::OpShape;

/// A global average pooling layer (no options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalAvgPool;

impl GlobalAvgPool {
    pub(crate) fn parse(_f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::GlobalAvgPool(GlobalAvgPool))
    }

    pub(crate) fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        matches!(op, QLayer::Mean { .. }).then_some((Layer::GlobalAvgPool(GlobalAvgPool), None))
    }
}

struct Rec {
    p: GlobalAvgPoolParams,
    input: usize,
    epilogue: Epilogue,
}

impl LayerKind for GlobalAvgPool {
    fn op_name(&self) -> &'static str {
        "global_avg_pool"
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Mean
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::Own
    }
    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let input = b.node_of(k).inputs[0];
        let p = GlobalAvgPoolParams::new(b.batch(), b.shape(input));
        let y = b.gpu().storage("pool output", p.output_len());
        let d = p.forward(b.gpu(), &b.tensor(input).0, &y)?;
        b.push(d);
        let (y, epilogue) = b.epilogue(k, y, p.output_len())?;
        b.record(Box::new(Rec { p, input, epilogue }));
        Ok((y, p.output_len()))
    }
    fn export(&self, x: &Export) -> Result<QLayer> {
        Ok(QLayer::Mean { output: x.output })
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
