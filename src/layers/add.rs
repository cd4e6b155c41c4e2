//! The training and export of Add layers (`model::kinds::add` describes them).

use crate::Result;
use crate::model::kinds::add::Add;
use crate::model::kinds::Layer;
use crate::ops::elementwise::AddParams;
use crate::quantize::export::Export;
use crate::train::record::{Backward, Builder, Epilogue, Recorded};
use qat_int8::ops::{add, QLayer};
use super::{Behaviour, FromInt8};

impl Behaviour for Add {
    fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        let QLayer::Add(add::Add { activation, .. }) = op else { return None };
        Some((Layer::Add(Add { activation: *activation }), None))
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
        Ok(QLayer::Add(add::Add { activation: self.activation, output: x.output, clamp: x.clamp }))
    }
}

struct Rec {
    inputs: [usize; 2],
    count: usize,
    epilogue: Epilogue,
}


impl Recorded for Rec {
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()> {
        let dy = back.epilogue(&self.epilogue, dy)?;
        back.give(self.inputs[0], dy.clone(), self.count)?;
        back.give(self.inputs[1], dy, self.count)
    }
}
