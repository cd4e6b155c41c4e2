//! MAX_POOL_2D, AVERAGE_POOL_2D and MEAN (global average) on int8.

use super::{clamp_i8, Tensor};

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

/// AVERAGE_POOL_2D on int8, input and output sharing scale and zero point (LiteRT reference):
/// the sum of the raw int8 values over in-bounds taps (padding not counted), divided by the tap
/// count rounding half away from zero with truncating division, then clamped.
/// Overflow: at most k*k values of magnitude <= 128.
pub fn average_pool(
    x: &Tensor,
    k: u32,
    stride: u32,
    padding: crate::shape::Padding,
    clamp: crate::quant::clamp::Clamp,
) -> Tensor {
    use crate::shape::output_size;
    let [h, w, c] = x.shape;
    let (oh, pad_top) = output_size(h, k, stride, padding).unwrap_or((0, 0));
    let (ow, pad_left) = output_size(w, k, stride, padding).unwrap_or((0, 0));
    let mut out = vec![0i8; (oh * ow * c) as usize];
    for oy in 0..oh {
        for ox in 0..ow {
            for ch in 0..c {
                let (mut acc, mut count) = (0i32, 0i32);
                for ky in 0..k {
                    let iy = (oy * stride + ky) as i64 - pad_top as i64;
                    for kx in 0..k {
                        let ix = (ox * stride + kx) as i64 - pad_left as i64;
                        if iy >= 0 && iy < h as i64 && ix >= 0 && ix < w as i64 {
                            acc += x.data[((iy as u32 * w + ix as u32) * c + ch) as usize] as i32;
                            count += 1;
                        }
                    }
                }
                let count = count.max(1);
                let avg = if acc > 0 { (acc + count / 2) / count } else { (acc - count / 2) / count };
                out[((oy * ow + ox) * c + ch) as usize] = clamp_i8(avg, clamp);
            }
        }
    }
    Tensor { shape: [oh, ow, c], data: out }
}

/// MEAN over height and width (global average pooling) with its prepared rescale; the output
/// has its own scale and zero point.
pub fn mean_hw(
    x: &Tensor,
    rescale: &crate::quant::mean::MeanRescale,
    input_zero_point: i32,
    output_zero_point: i32,
    clamp: crate::quant::clamp::Clamp,
) -> Tensor {
    let [h, w, c] = x.shape;
    let n = (h * w) as usize;
    let out = (0..c as usize)
        .map(|ch| {
            let sum: i32 = (0..n).map(|i| x.data[i * c as usize + ch] as i32).sum();
            clamp_i8(rescale.apply(sum, input_zero_point, output_zero_point), clamp)
        })
        .collect();
    Tensor { shape: [1, 1, c], data: out }
}
