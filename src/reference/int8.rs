//! The integer-only interpreter of exported models, written as plain loops in the manner of
//! TFLite's reference kernels. The only float arithmetic is where LiteRT's reference kernels
//! have it too: QUANTIZE of the float input, and FULLY_CONNECTED's float64 rescale
//! (docs/NUMERICS.md). Everything else is int8/int32 with the overflow argument given per op.

use crate::export::model::{Clamp, QLayer, QuantModel};
use crate::ops::conv2d::output_size;
use crate::quant::multiplier::multiply_by_quantized_multiplier;
use crate::quant::params::TensorQuant;
use crate::quant::rounding::{quantize_f32_to_i8, round_half_away_f64};

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

fn clamp_i8(v: i32, c: Clamp) -> i8 {
    v.clamp(c.min, c.max) as i8
}

/// CONV_2D, per output channel c:
/// acc = bias[c] + sum over in-bounds taps of w[c, ky, kx, ci] * (x - input_zero_point);
/// out = clamp(MBQM(acc, mult[c], shift[c]) + output_zero_point, act_min, act_max).
/// Overflow: |w| <= 127 and |x - zp| <= 255, so each product is below 2^15 and the sum of
/// `taps` products plus the bias stays inside i32 — the model reader rejects files where
/// |bias| + taps * 255 * 127 could reach 2^31.
pub fn conv2d(layer: &QLayer, x: &Tensor, input_zero_point: i32) -> Tensor {
    let QLayer::Conv2d { out_channels, kernel, in_channels, stride, padding, multipliers, bias, weights, output, clamp, .. } = layer else {
        return x.clone();
    };
    let [h, w, c] = x.shape;
    debug_assert_eq!(c, *in_channels);
    let (oh, pad_top) = output_size(h, kernel[0], *stride, *padding).unwrap_or((0, 0));
    let (ow, pad_left) = output_size(w, kernel[1], *stride, *padding).unwrap_or((0, 0));
    let o = *out_channels;
    let mut out = vec![0i8; (oh * ow * o) as usize];
    for oy in 0..oh {
        for ox in 0..ow {
            for oc in 0..o {
                let mut acc: i32 = bias[oc as usize];
                for ky in 0..kernel[0] {
                    let iy = (oy * stride + ky) as i64 - pad_top as i64;
                    if iy < 0 || iy >= h as i64 {
                        continue;
                    }
                    for kx in 0..kernel[1] {
                        let ix = (ox * stride + kx) as i64 - pad_left as i64;
                        if ix < 0 || ix >= w as i64 {
                            continue;
                        }
                        for ci in 0..c {
                            let xv = x.data[((iy as u32 * w + ix as u32) * c + ci) as usize] as i32;
                            let wv = weights[(((oc * kernel[0] + ky) * kernel[1] + kx) * c + ci) as usize] as i32;
                            acc += wv * (xv - input_zero_point);
                        }
                    }
                }
                let scaled = multiply_by_quantized_multiplier(acc, multipliers[oc as usize]);
                out[((oy * ow + ox) * o + oc) as usize] = clamp_i8(scaled + output.zero_point, *clamp);
            }
        }
    }
    Tensor { shape: [oh, ow, o], data: out }
}

/// MAX_POOL_2D on int8 ("valid" windows): the maximum of each window; scale and zero point
/// pass through unchanged, so no arithmetic is needed.
pub fn max_pool(x: &Tensor, size: u32, stride: u32) -> Tensor {
    let [h, w, c] = x.shape;
    let (oh, ow) = ((h - size) / stride + 1, (w - size) / stride + 1);
    let mut out = vec![0i8; (oh * ow * c) as usize];
    for oy in 0..oh {
        for ox in 0..ow {
            for ch in 0..c {
                let mut m = i8::MIN;
                for ky in 0..size {
                    for kx in 0..size {
                        m = m.max(x.data[(((oy * stride + ky) * w + ox * stride + kx) * c + ch) as usize]);
                    }
                }
                out[((oy * ow + ox) * c + ch) as usize] = m;
            }
        }
    }
    Tensor { shape: [oh, ow, c], data: out }
}

/// FULLY_CONNECTED as LiteRT's reference kernel computes it for int8:
/// acc = bias[o] + sum_i w[o, i] * (x[i] - input_zero_point) (same overflow bound as conv);
/// out = clamp(round_half_away(f64(acc) * (f64(s_in) * f64(s_w) / f64(s_out))) + zp_out).
pub fn fully_connected(layer: &QLayer, x: &Tensor, input_zero_point: i32, input_scale: f32) -> Tensor {
    let QLayer::FullyConnected { units, inputs, weight_scale, bias, weights, output, clamp, .. } = layer else {
        return x.clone();
    };
    let real_multiplier = input_scale as f64 * *weight_scale as f64 / output.scale as f64;
    let n = *inputs as usize;
    let out = (0..*units as usize)
        .map(|o| {
            let mut acc: i32 = bias[o];
            for i in 0..n {
                acc += weights[o * n + i] as i32 * (x.data[i] as i32 - input_zero_point);
            }
            // |acc| < 2^31, so the product is far inside f64's exact range; the cast saturates.
            let scaled = round_half_away_f64(acc as f64 * real_multiplier) as i32;
            clamp_i8(scaled.saturating_add(output.zero_point), *clamp)
        })
        .collect();
    Tensor { shape: [1, 1, *units], data: out }
}
