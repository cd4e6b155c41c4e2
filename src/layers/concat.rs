//! Concat on the channel axis of two or more inputs of one height and width. The inputs and the
//! output share one scale: the Concat's own range quantizes them all (`model::placement`);
//! exported as CONCATENATION.

use super::{Fields, FromInt8, Layer, LayerKind, OutputRange};
use crate::ops::concat::ConcatParams;
use crate::quantize::Export;
use crate::train::plan::{Backward, Builder, Epilogue, Recorded};
use crate::Result;
use qat_int8::model::QLayer;
use qat_int8::shape::OpShape;

/// A concat layer (no options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concat;

impl Concat {
    pub(crate) fn parse(_f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::Concat(Concat))
    }

    pub(crate) fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        matches!(op, QLayer::Concat).then_some((Layer::Concat(Concat), None))
    }
}

struct Rec {
    parts: Vec<(ConcatParams, usize)>,
    epilogue: Epilogue,
}

impl LayerKind for Concat {
    fn op_name(&self) -> &'static str {
        "concat"
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Concat
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::Own
    }
    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let inputs = b.node_of(k).inputs.clone();
        let shape = b.shape(inputs[0]);
        let c_out: u32 = inputs.iter().map(|&t| b.shape(t)[2]).sum();
        let pixels = b.batch() * shape[0] * shape[1];
        let count = (pixels * c_out) as usize;
        let y = b.gpu().storage("concat output", count);
        let mut parts = Vec::new();
        let mut offset = 0;
        for t in inputs {
            let c_in = b.shape(t)[2];
            let p = ConcatParams { pixels, c_in, c_out, offset };
            let d = p.forward(b.gpu(), &b.tensor(t).0, &y)?;
            b.push(d);
            parts.push((p, t));
            offset += c_in;
        }
        let (y, epilogue) = b.epilogue(k, y, count)?;
        b.record(Box::new(Rec { parts, epilogue }));
        Ok((y, count))
    }
    fn export(&self, _x: &Export) -> Result<QLayer> {
        Ok(QLayer::Concat)
    }
}

impl Recorded for Rec {
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()> {
        let dy = back.epilogue(&self.epilogue, dy)?;
        for (p, t) in &self.parts {
            let dx = back.gpu().storage("grad", p.len_in());
            let d = p.backward(back.gpu(), &dy, &dx)?;
            back.push(d);
            back.give(*t, dx, p.len_in())?;
        }
        Ok(())
    }
}
