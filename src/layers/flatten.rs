//! The training and export of Flatten layers (`model::kinds::flatten` describes them).

use crate::Result;
use crate::model::kinds::flatten::Flatten;
use crate::model::kinds::Layer;
use crate::quantize::export::Export;
use crate::train::record::{Backward, Builder, Recorded};
use qat_int8::ops::{flatten, QLayer};
use super::{Behaviour, FromInt8};

impl Behaviour for Flatten {
    fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        matches!(op, QLayer::Flatten(_)).then_some((Layer::Flatten(Flatten), None))
    }

    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let input = b.node_of(k).inputs[0];
        b.record(Box::new(Rec { input }));
        Ok(b.tensor(input))
    }

    fn export(&self, _x: &Export) -> Result<QLayer> {
        Ok(QLayer::Flatten(flatten::Flatten))
    }
}

struct Rec {
    input: usize,
}


impl Recorded for Rec {
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()> {
        let len = back.tensor_len(self.input);
        back.give(self.input, dy, len)
    }
}
