//! The integer-only interpreter of exported models, written as plain loops in the manner of
//! TFLite's reference kernels. The only float arithmetic is where LiteRT's reference kernels
//! have it too: QUANTIZE of the float input, and FULLY_CONNECTED's float64 rescale
//! (docs/NUMERICS.md). Everything else is int8/int32 with the overflow argument given per op.
//! Each op's kernel is its own (`crate::ops`, one signature: the inputs with their
//! quantization); this runs a model's nodes in order, freeing each tensor after its last reader.

use crate::model::{InputNorm, QuantModel};
use crate::quant::params::TensorQuant;
use crate::quant::rounding::quantize_f32_to_i8;
use crate::tensor::Tensor;

/// QUANTIZE of an image: the u8 pixel p of channel c becomes the float32 input
/// x = (p / 255 - mean\[c\]) / std\[c\] (`InputNorm`; p / 255 for models trained here), then
/// round_half_away(x / scale) + zero_point in float32, clamped.
pub fn quantize_image(pixels: &[u8], shape: [u32; 3], q: TensorQuant, norm: &InputNorm) -> Tensor {
    let c = shape[2].max(1) as usize;
    let data = pixels
        .iter()
        .enumerate()
        .map(|(i, &p)| quantize_f32_to_i8(norm.apply(p, i % c), q.scale, q.zero_point))
        .collect();
    Tensor { shape, data }
}

/// Runs the model on one image given as u8 pixels (h * w * c of them, NHWC); returns the int8
/// logits. The model must have passed `export::validate` (every model `export::format::read`
/// returns has), which bounds every index and size below; an image of the wrong size is an
/// error.
pub fn run_image(model: &QuantModel, pixels: &[u8]) -> crate::Result<Vec<i8>> {
    let want: u64 = model.input_shape.iter().map(|&d| d as u64).product();
    if pixels.len() as u64 != want {
        return Err(crate::Int8Error::Invalid(format!(
            "the model takes {:?} = {want} input values, the image has {}",
            model.input_shape,
            pixels.len()
        )));
    }
    Ok(Prepared::of(model).run(pixels))
}

/// What every image of one model shares: the quantization of each node's inputs, and the tensors
/// freed after each node (after its last reader: the peak the validation bounds).
struct Prepared<'a> {
    model: &'a QuantModel,
    /// The quantization of each node's inputs.
    input_quants: Vec<Vec<TensorQuant>>,
    freed: Vec<Vec<usize>>,
}

impl<'a> Prepared<'a> {
    fn of(model: &'a QuantModel) -> Prepared<'a> {
        let reads: Vec<Vec<usize>> = model.nodes.iter().map(|n| n.inputs.clone()).collect();
        let quants = model.tensor_quants();
        let input_quants = model.nodes.iter().map(|n| n.inputs.iter().map(|&t| quants[t]).collect()).collect();
        Prepared { model, input_quants, freed: crate::work::freed_after(&reads) }
    }

    /// The int8 logits of one image of the right size.
    fn run(&self, pixels: &[u8]) -> Vec<i8> {
        let model = self.model;
        let mut tensors = vec![quantize_image(pixels, model.input_shape, model.input_quant, &model.input_norm)];
        for (k, node) in model.nodes.iter().enumerate() {
            let inputs: Vec<&Tensor> = node.inputs.iter().map(|&t| &tensors[t]).collect();
            let y = node.op.run(&inputs, &self.input_quants[k]);
            tensors.push(y);
            for &t in &self.freed[k] {
                tensors[t].data = Vec::new();
            }
        }
        tensors.pop().map(|t| t.data).unwrap_or_default()
    }
}

/// Runs the model on `count` images (row-major u8 pixels); returns [count, classes] int8 logits.
pub fn run_batch(model: &QuantModel, images: &[u8], count: usize) -> crate::Result<Vec<i8>> {
    let pixels = model.input_shape.iter().map(|&d| d as usize).product::<usize>();
    if Some(images.len()) != pixels.checked_mul(count) {
        return Err(crate::Int8Error::Invalid(format!(
            "{count} images of {:?} need {} values, got {}",
            model.input_shape,
            pixels.saturating_mul(count),
            images.len()
        )));
    }
    let prepared = Prepared::of(model);
    let mut out = Vec::new();
    for image in images.chunks_exact(pixels.max(1)).take(count) {
        out.extend(prepared.run(image));
    }
    Ok(out)
}
