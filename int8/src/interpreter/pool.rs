//! MAX_POOL_2D, AVERAGE_POOL_2D and MEAN (global average) on int8.

use super::{clamp_i8, Tensor};

/// MAX_POOL_2D on int8 ("valid" windows): the maximum of each window; scale and zero point
/// pass through unchanged, so no arithmetic is needed. Channels are the inner loop (each tap
/// reads one pixel's channels in a row).
pub fn max_pool(x: &Tensor, size: u32, stride: u32) -> Tensor {
    let [h, w, c] = x.shape;
    let (oh, ow) = ((h - size) / stride + 1, (w - size) / stride + 1);
    let c = c as usize;
    let mut out = vec![i8::MIN; oh as usize * ow as usize * c];
    for oy in 0..oh {
        for ox in 0..ow {
            let o = (oy * ow + ox) as usize * c;
            let m = &mut out[o..o + c];
            for ky in 0..size {
                for kx in 0..size {
                    let i = ((oy * stride + ky) * w + ox * stride + kx) as usize * c;
                    for (m, &v) in m.iter_mut().zip(&x.data[i..i + c]) {
                        *m = (*m).max(v);
                    }
                }
            }
        }
    }
    Tensor { shape: [oh, ow, c as u32], data: out }
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
    let cu = c as usize;
    let mut out = vec![0i8; oh as usize * ow as usize * cu];
    let mut acc = vec![0i32; cu];
    for oy in 0..oh {
        for ox in 0..ow {
            acc.iter_mut().for_each(|a| *a = 0);
            // The in-bounds taps: rows y0..y1 and columns x0..x1 of the input.
            let (y0, x0) = ((oy * stride) as i64 - pad_top as i64, (ox * stride) as i64 - pad_left as i64);
            let (y1, x1) = ((y0 + k as i64).min(h as i64), (x0 + k as i64).min(w as i64));
            let (y0, x0) = (y0.max(0), x0.max(0));
            let mut count = 0i32;
            for iy in y0..y1 {
                for ix in x0..x1 {
                    let i = (iy as usize * w as usize + ix as usize) * cu;
                    for (a, &v) in acc.iter_mut().zip(&x.data[i..i + cu]) {
                        *a += v as i32;
                    }
                    count += 1;
                }
            }
            let count = count.max(1);
            let o = (oy * ow + ox) as usize * cu;
            for (y, &a) in out[o..o + cu].iter_mut().zip(&acc) {
                let avg = if a > 0 { (a + count / 2) / count } else { (a - count / 2) / count };
                *y = clamp_i8(avg, clamp);
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
    let cu = c as usize;
    let mut sums = vec![0i32; cu];
    for px in x.data.chunks_exact(cu.max(1)).take((h * w) as usize) {
        for (s, &v) in sums.iter_mut().zip(px) {
            *s += v as i32;
        }
    }
    let out =
        sums.iter().map(|&sum| clamp_i8(rescale.apply(sum, input_zero_point, output_zero_point), clamp)).collect();
    Tensor { shape: [1, 1, c], data: out }
}
