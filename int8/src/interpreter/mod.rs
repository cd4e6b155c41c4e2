//! The integer-only interpreter of exported models, written as plain loops in the manner of
//! TFLite's reference kernels. The only float arithmetic is where LiteRT's reference kernels
//! have it too: QUANTIZE of the float input, and FULLY_CONNECTED's float64 rescale
//! (docs/NUMERICS.md). Everything else is int8/int32 with the overflow argument given per op.

mod conv;
mod elementwise;
mod fully_connected;
mod pool;

pub use conv::{conv2d, depthwise_conv2d, DepthwiseLayer};
pub use elementwise::{add, concat};
pub use fully_connected::fully_connected;
pub use pool::{average_pool, max_pool, mean_hw};

use crate::model::{Clamp, InputNorm, QLayer, QuantModel};
use crate::quant::add::AddRescale;
use crate::quant::mean::MeanRescale;
use crate::quant::params::TensorQuant;
use crate::quant::rounding::quantize_f32_to_i8;

/// An int8 NHWC tensor of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// [h, w, c].
    pub shape: [u32; 3],
    /// h * w * c values, NHWC.
    pub data: Vec<i8>,
}

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

/// What every image of one model shares: each tensor's quantization, and the tensors freed after
/// each node (after its last reader: the peak the validation bounds).
struct Prepared<'a> {
    model: &'a QuantModel,
    quants: Vec<TensorQuant>,
    freed: Vec<Vec<usize>>,
}

impl<'a> Prepared<'a> {
    fn of(model: &'a QuantModel) -> Prepared<'a> {
        let reads: Vec<Vec<usize>> = model.nodes.iter().map(|n| n.inputs.clone()).collect();
        Prepared { model, quants: model.tensor_quants(), freed: crate::work::freed_after(&reads) }
    }

    /// The int8 logits of one image of the right size.
    fn run(&self, pixels: &[u8]) -> Vec<i8> {
        let (model, quants) = (self.model, &self.quants);
        let mut tensors = vec![quantize_image(pixels, model.input_shape, model.input_quant, &model.input_norm)];
        for (k, node) in model.nodes.iter().enumerate() {
            let x = &tensors[node.inputs[0]];
            let q_in = quants[node.inputs[0]];
            let q_out = quants[k + 1];
            let y = match &node.op {
                QLayer::Conv2d { .. } => conv2d(&node.op, x, q_in.zero_point),
                QLayer::DepthwiseConv2d {
                    kernel, stride, padding, weights, bias, multipliers, output, clamp, ..
                } => {
                    let layer = DepthwiseLayer {
                        kernel: *kernel,
                        stride: *stride,
                        padding: *padding,
                        weights: weights.clone(),
                        bias: bias.clone(),
                        multipliers: multipliers.clone(),
                        output_zero_point: output.zero_point,
                        clamp: *clamp,
                    };
                    depthwise_conv2d(&layer, x, q_in.zero_point)
                }
                QLayer::MaxPool { size, stride } => max_pool(x, *size, *stride),
                QLayer::AvgPool { size, stride, padding } => average_pool(x, *size, *stride, *padding, Clamp::FULL),
                QLayer::Mean { output } => {
                    let rescale = MeanRescale::new(q_in, *output, x.shape[0] * x.shape[1]);
                    mean_hw(x, &rescale, q_in.zero_point, output.zero_point, Clamp::FULL)
                }
                QLayer::Flatten => Tensor { shape: [1, 1, x.data.len() as u32], data: x.data.clone() },
                QLayer::FullyConnected { .. } => fully_connected(&node.op, x, q_in.zero_point, q_in.scale),
                QLayer::Add { output, clamp, .. } => {
                    let (b, q_b) = (&tensors[node.inputs[1]], quants[node.inputs[1]]);
                    add(
                        x,
                        q_in.zero_point,
                        b,
                        q_b.zero_point,
                        &AddRescale::new(q_in, q_b, *output),
                        output.zero_point,
                        *clamp,
                    )
                }
                QLayer::Concat => {
                    let parts: Vec<&Tensor> = node.inputs.iter().map(|&t| &tensors[t]).collect();
                    concat(&parts)
                }
            };
            debug_assert_eq!(q_out, node.op.output_quant().unwrap_or(q_in));
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

pub(crate) fn clamp_i8(v: i32, c: Clamp) -> i8 {
    v.clamp(c.min, c.max) as i8
}
