//! Add: the elementwise sum of two tensors of one shape, then the activation. Its output has a
//! range of its own; exported as ADD (each input rescaled to a 20-bit shared grid, as TFLite).

use super::{Fields, FromInt8, Layer, LayerKind, OutputRange};
use crate::ops::elementwise::AddParams;
use crate::quantize::Export;
use crate::train::plan::{Backward, Builder, Epilogue, Recorded};
use crate::Result;
use qat_int8::model::QLayer;
use qat_int8::quant::clamp::Activation;
use qat_int8::shape::OpShape;

/// An add layer's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Add {
    /// The fused activation.
    pub activation: Activation,
}

impl Add {
    pub(crate) fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::Add(Add { activation: f.activation()? }))
    }

    pub(crate) fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        let QLayer::Add { activation, .. } = op else { return None };
        Some((Layer::Add(Add { activation: *activation }), None))
    }
}

struct Rec {
    inputs: [usize; 2],
    count: usize,
    epilogue: Epilogue,
}

impl LayerKind for Add {
    fn op_name(&self) -> &'static str {
        "add"
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Add
    }
    fn activation(&self) -> Activation {
        self.activation
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::Own
    }
    fn may_feed_concat(&self) -> bool {
        true
    }
    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let inputs = [b.node_of(k).inputs[0], b.node_of(k).inputs[1]];
        let ((x0, count), (x1, _)) = (b.tensor(inputs[0]), b.tensor(inputs[1]));
        let y = b.gpu().storage("add output", count);
        let d = AddParams::new(count).dispatch(b.gpu(), &x0, &x1, &y)?;
        b.push(d);
        let (y, epilogue) = b.epilogue(k, y, count)?;
        b.record(Box::new(Rec { inputs, count, epilogue }));
        Ok((y, count))
    }
    fn export(&self, x: &Export) -> Result<QLayer> {
        Ok(QLayer::Add { activation: self.activation, output: x.output, clamp: x.clamp })
    }
}

impl Recorded for Rec {
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()> {
        let dy = back.epilogue(&self.epilogue, dy)?;
        back.give(self.inputs[0], dy.clone(), self.count)?;
        back.give(self.inputs[1], dy, self.count)
    }
}
