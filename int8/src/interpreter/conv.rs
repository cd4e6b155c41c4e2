//! CONV_2D and DEPTHWISE_CONV_2D on int8.

use super::{clamp_i8, Tensor};
use crate::model::QLayer;
use crate::quant::multiplier::multiply_by_quantized_multiplier;
use crate::shape::output_size;

/// CONV_2D, per output channel c:
/// acc = bias\[c\] + sum over in-bounds taps of w[c, ky, kx, ci] * (x - input_zero_point);
/// out = clamp(MBQM(acc, mult\[c\], shift\[c\]) + output_zero_point, act_min, act_max).
/// Overflow: |w| <= 127 and |x - zp| <= 255, so each product is below 2^15 and the sum of
/// `taps` products plus the bias stays inside i32 — the model reader rejects files where
/// |bias| + taps * 255 * 127 could reach 2^31. The zero-point add saturates: it cannot overflow
/// for a multiplier below 1, and a valid file's larger multipliers (shift up to 30, as TFLite
/// allows) must not make it undefined.
pub fn conv2d(layer: &QLayer, x: &Tensor, input_zero_point: i32) -> Tensor {
    let QLayer::Conv2d {
        out_channels,
        kernel,
        in_channels,
        stride,
        padding,
        multipliers,
        bias,
        weights,
        output,
        clamp,
        ..
    } = layer
    else {
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
                out[((oy * ow + ox) * o + oc) as usize] = clamp_i8(scaled.saturating_add(output.zero_point), *clamp);
            }
        }
    }
    Tensor { shape: [oh, ow, o], data: out }
}

/// A DEPTHWISE_CONV_2D with depth multiplier 1: int8 weights [KH, KW, C] per channel
/// (zero point 0), int32 bias at scale input_scale * weight_scale\[c\], one multiplier per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthwiseLayer {
    /// [height, width] of the kernel.
    pub kernel: [u32; 2],
    /// Stride on both axes.
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: crate::shape::Padding,
    /// Int8 weights [KH, KW, C].
    pub weights: Vec<i8>,
    /// Int32 biases, one per channel.
    pub bias: Vec<i32>,
    /// One requantization multiplier per channel.
    pub multipliers: Vec<crate::quant::multiplier::QuantizedMultiplier>,
    /// The output's zero point.
    pub output_zero_point: i32,
    /// The fused activation's clamp.
    pub clamp: crate::quant::clamp::Clamp,
}

/// DEPTHWISE_CONV_2D, per channel c:
/// acc = bias\[c\] + sum over in-bounds taps of w[ky, kx, c] * (x[.., c] - input_zero_point);
/// out = clamp(MBQM(acc, mult\[c\], shift\[c\]) + output_zero_point).
/// Overflow: at most kh*kw products below 2^15 each, plus the bias.
pub fn depthwise_conv2d(layer: &DepthwiseLayer, x: &Tensor, input_zero_point: i32) -> Tensor {
    let [h, w, c] = x.shape;
    let [kh, kw] = layer.kernel;
    let (oh, pad_top) = output_size(h, kh, layer.stride, layer.padding).unwrap_or((0, 0));
    let (ow, pad_left) = output_size(w, kw, layer.stride, layer.padding).unwrap_or((0, 0));
    let mut out = vec![0i8; (oh * ow * c) as usize];
    for oy in 0..oh {
        for ox in 0..ow {
            for ch in 0..c {
                let mut acc: i32 = layer.bias[ch as usize];
                for ky in 0..kh {
                    let iy = (oy * layer.stride + ky) as i64 - pad_top as i64;
                    if iy < 0 || iy >= h as i64 {
                        continue;
                    }
                    for kx in 0..kw {
                        let ix = (ox * layer.stride + kx) as i64 - pad_left as i64;
                        if ix < 0 || ix >= w as i64 {
                            continue;
                        }
                        let xv = x.data[((iy as u32 * w + ix as u32) * c + ch) as usize] as i32;
                        let wv = layer.weights[((ky * kw + kx) * c + ch) as usize] as i32;
                        acc += wv * (xv - input_zero_point);
                    }
                }
                let scaled = multiply_by_quantized_multiplier(acc, layer.multipliers[ch as usize]);
                out[((oy * ow + ox) * c + ch) as usize] =
                    clamp_i8(scaled.saturating_add(layer.output_zero_point), layer.clamp);
            }
        }
    }
    Tensor { shape: [oh, ow, c], data: out }
}
