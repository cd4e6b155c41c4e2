//! ADD and CONCATENATION on int8.

use super::{clamp_i8, Tensor};
use crate::quant::add::AddRescale;
use crate::quant::clamp::Clamp;

/// ADD of two int8 tensors of one shape with the 20-bit scheme of `quant::add`.
pub fn add(a: &Tensor, zp_a: i32, b: &Tensor, zp_b: i32, rescale: &AddRescale, zp_out: i32, clamp: Clamp) -> Tensor {
    let data = a
        .data
        .iter()
        .zip(&b.data)
        .map(|(&qa, &qb)| clamp_i8(rescale.apply(qa, zp_a, qb, zp_b, zp_out), clamp))
        .collect();
    Tensor { shape: a.shape, data }
}

/// CONCATENATION on the channel axis; inputs and output share one scale and zero point, so
/// the values are copied unchanged.
pub fn concat(inputs: &[&Tensor]) -> Tensor {
    let Some(first) = inputs.first() else { return Tensor { shape: [0, 0, 0], data: Vec::new() } };
    let [h, w, _] = first.shape;
    let c_out: u32 = inputs.iter().map(|t| t.shape[2]).sum();
    let mut data = Vec::with_capacity((h * w * c_out) as usize);
    for px in 0..(h * w) as usize {
        for t in inputs {
            let c = t.shape[2] as usize;
            data.extend_from_slice(&t.data[px * c..(px + 1) * c]);
        }
    }
    Tensor { shape: [h, w, c_out], data }
}
