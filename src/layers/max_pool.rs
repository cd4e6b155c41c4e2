//! The training and export of MaxPool layers (`model::kinds::max_pool` describes them).

use crate::Result;
use crate::model::kinds::max_pool::MaxPool;
use crate::model::kinds::Layer;
use crate::ops::max_pool::MaxPoolParams;
use crate::quantize::export::Export;
use crate::train::record::{Backward, Builder, Recorded};
use qat_int8::ops::{max_pool, QLayer};
use super::{Behaviour, FromInt8};

impl Behaviour for MaxPool {
    fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        let QLayer::MaxPool(max_pool::MaxPool { size, stride, padding }) = op else { return None };
        Some((Layer::MaxPool(MaxPool { size: *size, stride: *stride, padding: *padding }), None))
    }

    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let input = b.node_of(k).inputs[0];
        let p = MaxPoolParams::new(b.batch(), b.shape(input), self.size, self.stride, self.padding)?;
        let (y, argmax) =
            (b.gpu().storage("pool output", p.output_len()), b.gpu().storage("pool argmax", p.output_len()));
        let d = p.forward(b.gpu(), &b.tensor(input).0, &y, &argmax)?;
        b.push(d);
        b.record(Box::new(Rec { p, argmax, input }));
        Ok((y, p.output_len()))
    }

    fn export(&self, _x: &Export) -> Result<QLayer> {
        Ok(QLayer::MaxPool(max_pool::MaxPool { size: self.size, stride: self.stride, padding: self.padding }))
    }
}

struct Rec {
    p: MaxPoolParams,
    argmax: wgpu::Buffer,
    input: usize,
}


impl Recorded for Rec {
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()> {
        let dx = back.gpu().storage("grad", self.p.input_len());
        let d = self.p.backward(back.gpu(), &dy, &self.argmax, &dx)?;
        back.push(d);
        back.give(self.input, dx, self.p.input_len())
    }
}
