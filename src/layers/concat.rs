//! The training and export of Concat layers (`model::kinds::concat` describes them).

use crate::Result;
use crate::model::kinds::concat::Concat;
use crate::model::kinds::Layer;
use crate::ops::concat::ConcatParams;
use crate::quantize::export::Export;
use crate::train::record::{Backward, Builder, Epilogue, Recorded};
use qat_int8::ops::{concat, QLayer};
use super::{Behaviour, FromInt8};

impl Behaviour for Concat {
    fn from_int8(op: &QLayer, _s_in: f64) -> FromInt8 {
        matches!(op, QLayer::Concat(_)).then_some((Layer::Concat(Concat), None))
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
        Ok(QLayer::Concat(concat::Concat))
    }
}

struct Rec {
    parts: Vec<(ConcatParams, usize)>,
    epilogue: Epilogue,
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
