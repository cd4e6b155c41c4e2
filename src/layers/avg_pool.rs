//! The training and export of AvgPool layers (`model::kinds::avg_pool` describes them).

use crate::Result;
use crate::model::kinds::avg_pool::AvgPool;
use crate::model::kinds::Layer;
use crate::ops::avg_pool::AvgPoolParams;
use crate::quantize::export::Export;
use crate::train::record::{Backward, Builder, Epilogue, Recorded};
use qat_int8::ops::{avg_pool, QLayer};
use super::{Behaviour, FromInt8};

impl Behaviour for AvgPool {
    fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        let QLayer::AvgPool(avg_pool::AvgPool { size, stride, padding }) = op else { return None };
        Some((Layer::AvgPool(AvgPool { size: *size, stride: *stride, padding: *padding }), None))
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
        Ok(QLayer::AvgPool(avg_pool::AvgPool { size: self.size, stride: self.stride, padding: self.padding }))
    }
}

struct Rec {
    p: AvgPoolParams,
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
