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

use crate::export::model::{Clamp, QLayer, QuantModel};
use crate::quant::params::TensorQuant;
use crate::quant::rounding::quantize_f32_to_i8;

/// An int8 NHWC tensor of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: [u32; 3],
    pub data: Vec<i8>,
}

/// QUANTIZE of an MNIST image: the u8 pixel p becomes the float32 p / 255 (as training
/// scales it), then round_half_away(x / scale) + zero_point in float32, clamped.
pub fn quantize_image(pixels: &[u8], shape: [u32; 3], q: TensorQuant) -> Tensor {
    let data = pixels.iter().map(|&p| quantize_f32_to_i8(p as f32 / 255.0, q.scale, q.zero_point)).collect();
    Tensor { shape, data }
}

/// Runs the model on one image given as u8 pixels; returns the int8 logits.
pub fn run_image(model: &QuantModel, pixels: &[u8]) -> Vec<i8> {
    let mut t = quantize_image(pixels, model.input_shape, model.input_quant);
    let mut zp = model.input_quant.zero_point;
    for layer in &model.layers {
        t = match layer {
            QLayer::Conv2d { .. } => conv2d(layer, &t, zp),
            QLayer::MaxPool { size, stride } => max_pool(&t, *size, *stride),
            QLayer::Flatten => Tensor { shape: [1, 1, t.data.len() as u32], data: t.data },
            QLayer::FullyConnected { .. } => fully_connected(layer, &t, zp, input_scale(model, layer)),
        };
        if let QLayer::Conv2d { output, .. } | QLayer::FullyConnected { output, .. } = layer {
            zp = output.zero_point;
        }
    }
    t.data
}

/// The scale of a layer's input tensor.
fn input_scale(model: &QuantModel, layer: &QLayer) -> f32 {
    let mut cur = model.input_quant;
    for l in &model.layers {
        if std::ptr::eq(l, layer) {
            break;
        }
        if let QLayer::Conv2d { output, .. } | QLayer::FullyConnected { output, .. } = l {
            cur = *output;
        }
    }
    cur.scale
}

/// Runs the model on `count` images (row-major u8 pixels); returns [count, classes] int8 logits.
pub fn run_batch(model: &QuantModel, images: &[u8], count: usize) -> Vec<i8> {
    let pixels = model.input_shape.iter().product::<u32>() as usize;
    (0..count).flat_map(|i| run_image(model, &images[i * pixels..(i + 1) * pixels])).collect()
}

pub(crate) fn clamp_i8(v: i32, c: Clamp) -> i8 {
    v.clamp(c.min, c.max) as i8
}

