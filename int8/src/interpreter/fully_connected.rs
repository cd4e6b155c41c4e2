//! FULLY_CONNECTED on int8, with LiteRT's float64 rescale.

use super::{clamp_i8, Tensor};
use crate::model::QLayer;
use crate::quant::rounding::round_half_away_f64;

/// FULLY_CONNECTED as LiteRT's reference kernel computes it for int8:
/// acc = bias\[o\] + sum_i w[o, i] * (x\[i\] - input_zero_point) (same overflow bound as conv);
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
