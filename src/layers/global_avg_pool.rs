//! The training and export of GlobalAvgPool layers (`model::kinds::global_avg_pool` describes them).

use crate::Result;
use crate::model::kinds::global_avg_pool::GlobalAvgPool;
use crate::model::kinds::Layer;
use crate::ops::global_avg_pool::GlobalAvgPoolParams;
use crate::quantize::export::Export;
use crate::train::record::{Backward, Builder, Epilogue, Recorded};
use qat_int8::ops::{mean::Mean, QLayer};
use super::{Behaviour, FromInt8};

impl Behaviour for GlobalAvgPool {
    fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        matches!(op, QLayer::Mean(_)).then_some((Layer::GlobalAvgPool(GlobalAvgPool), None))
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
        Ok(QLayer::Mean(Mean { output: x.output }))
    }
}

struct Rec {
    p: GlobalAvgPoolParams,
    input: usize,
    epilogue: Epilogue,
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
