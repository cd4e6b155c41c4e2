//! Plain-loop f32 twins of the WGSL kernels, one function per kernel, same parameters.
//! They are written for clarity, not speed, and accumulate in the order the kernels do where
//! that is cheap to match.

use crate::ops::adam::AdamConfig;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::matmul::MatmulParams;
use crate::ops::observer::RangeMode;
use crate::ops::pool::MaxPoolParams;
use crate::quant::fake_quant::{nudge, Grid};

/// Visits every (input index, weight index, output index) tap of a conv2d.
fn for_each_tap(p: &Conv2dParams, mut f: impl FnMut(usize, usize, usize)) {
    for b in 0..p.n {
        for oy in 0..p.oh {
            for ox in 0..p.ow {
                for ky in 0..p.kh {
                    let iy = (oy * p.stride + ky) as i64 - p.pad_top as i64;
                    if iy < 0 || iy >= p.h as i64 {
                        continue;
                    }
                    for kx in 0..p.kw {
                        let ix = (ox * p.stride + kx) as i64 - p.pad_left as i64;
                        if ix < 0 || ix >= p.w as i64 {
                            continue;
                        }
                        for oc in 0..p.o {
                            for ci in 0..p.c {
                                let xi = ((b * p.h + iy as u32) * p.w + ix as u32) * p.c + ci;
                                let wi = ((oc * p.kh + ky) * p.kw + kx) * p.c + ci;
                                let yi = ((b * p.oh + oy) * p.ow + ox) * p.o + oc;
                                f(xi as usize, wi as usize, yi as usize);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Twin of conv2d/forward.wgsl. Each output starts at its bias and adds its taps in (ky, kx, c)
/// order, as the kernel does.
pub fn conv2d_forward(p: &Conv2dParams, x: &[f32], w: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut y: Vec<f32> = (0..p.output_len()).map(|i| bias[i % p.o as usize]).collect();
    for_each_tap(p, |xi, wi, yi| y[yi] += x[xi] * w[wi]);
    y
}

/// Twin of conv2d/backward_input.wgsl.
pub fn conv2d_backward_input(p: &Conv2dParams, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let mut dx = vec![0.0; p.input_len()];
    for_each_tap(p, |xi, wi, yi| dx[xi] += dy[yi] * w[wi]);
    dx
}

/// Twin of conv2d/backward_weight.wgsl.
pub fn conv2d_backward_weight(p: &Conv2dParams, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let mut dw = vec![0.0; p.weight_len()];
    for_each_tap(p, |xi, wi, yi| dw[wi] += dy[yi] * x[xi]);
    dw
}

/// Twin of matmul/strided.wgsl.
pub fn matmul_strided(p: &MatmulParams, a: &[f32], b: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut c = vec![0.0; (p.m * p.n) as usize];
    for row in 0..p.m {
        for col in 0..p.n {
            let mut acc = if p.has_bias != 0 { bias[col as usize] } else { 0.0 };
            for k in 0..p.k {
                acc += a[(row * p.a_sm + k * p.a_sk) as usize] * b[(k * p.b_sk + col * p.b_sn) as usize];
            }
            c[(row * p.n + col) as usize] = acc;
        }
    }
    c
}

/// Twin of reduce/column_sum.wgsl.
pub fn column_sum(rows: usize, cols: usize, a: &[f32]) -> Vec<f32> {
    (0..cols).map(|c| (0..rows).map(|r| a[r * cols + c]).sum()).collect()
}

/// Twin of relu/forward.wgsl.
pub fn relu_forward(x: &[f32]) -> Vec<f32> {
    x.iter().map(|v| v.max(0.0)).collect()
}

/// Twin of relu/backward.wgsl.
pub fn relu_backward(x: &[f32], dy: &[f32]) -> Vec<f32> {
    x.iter().zip(dy).map(|(x, d)| if *x > 0.0 { *d } else { 0.0 }).collect()
}

/// Twin of pool/max_forward.wgsl: (output, argmax input index).
pub fn max_pool_forward(p: &MaxPoolParams, x: &[f32]) -> (Vec<f32>, Vec<u32>) {
    let mut y = vec![0.0; p.output_len()];
    let mut arg = vec![0u32; p.output_len()];
    for b in 0..p.n {
        for oy in 0..p.oh {
            for ox in 0..p.ow {
                for ch in 0..p.c {
                    let mut best = f32::NEG_INFINITY;
                    let mut best_i = 0;
                    for ky in 0..p.k {
                        for kx in 0..p.k {
                            let i = ((b * p.h + oy * p.stride + ky) * p.w + ox * p.stride + kx) * p.c + ch;
                            if x[i as usize] > best || (ky == 0 && kx == 0) {
                                best = x[i as usize];
                                best_i = i;
                            }
                        }
                    }
                    let o = (((b * p.oh + oy) * p.ow + ox) * p.c + ch) as usize;
                    y[o] = best;
                    arg[o] = best_i;
                }
            }
        }
    }
    (y, arg)
}

/// Twin of pool/max_backward.wgsl.
pub fn max_pool_backward(p: &MaxPoolParams, dy: &[f32], argmax: &[u32]) -> Vec<f32> {
    let mut dx = vec![0.0; p.input_len()];
    for (o, &i) in argmax.iter().enumerate() {
        dx[i as usize] += dy[o];
    }
    dx
}

/// Twin of loss/softmax_cross_entropy.wgsl: (dlogits, per-sample [loss, correct]).
pub fn softmax_cross_entropy(n: usize, classes: usize, logits: &[f32], labels: &[u32]) -> (Vec<f32>, Vec<f32>) {
    let mut d = vec![0.0; n * classes];
    let mut per = vec![0.0; 2 * n];
    for b in 0..n {
        let row = &logits[b * classes..(b + 1) * classes];
        let (mut arg, mut mx) = (0, row[0]);
        for (j, &v) in row.iter().enumerate().skip(1) {
            if v > mx {
                mx = v;
                arg = j;
            }
        }
        let sum: f32 = row.iter().map(|v| (v - mx).exp()).sum();
        let label = labels[b] as usize;
        for j in 0..classes {
            let prob = (row[j] - mx).exp() / sum;
            d[b * classes + j] = (prob - if j == label { 1.0 } else { 0.0 }) / n as f32;
        }
        per[2 * b] = sum.ln() + mx - row[label];
        per[2 * b + 1] = (arg == label) as u32 as f32;
    }
    (d, per)
}

/// Twin of loss/accumulate.wgsl: adds per-sample [loss, correct] pairs into
/// totals = [loss_sum, correct_sum, samples, non_finite_flag].
pub fn accumulate_totals(per_sample: &[f32], totals: &mut [f32; 4]) {
    let loss: f32 = per_sample.iter().step_by(2).sum();
    let correct: f32 = per_sample.iter().skip(1).step_by(2).sum();
    if !(loss.abs() <= 3.0e38) {
        totals[3] = 1.0;
    }
    totals[0] += loss;
    totals[1] += correct;
    totals[2] += (per_sample.len() / 2) as f32;
}

/// Twin of fake_quant/forward.wgsl (ranges: [min, max] per channel).
pub fn fake_quant_forward(x: &[f32], ranges: &[f32], channels: usize, inner: usize, grid: Grid) -> Vec<f32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = (i / inner) % channels;
            nudge(ranges[2 * c], ranges[2 * c + 1], grid).fake_quant(v)
        })
        .collect()
}

/// Twin of fake_quant/backward.wgsl.
pub fn fake_quant_backward(x: &[f32], ranges: &[f32], dy: &[f32], channels: usize, inner: usize, grid: Grid) -> Vec<f32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = (i / inner) % channels;
            if nudge(ranges[2 * c], ranges[2 * c + 1], grid).passes_gradient(v) { dy[i] } else { 0.0 }
        })
        .collect()
}

/// Twin of observer/activation_range.wgsl: updates `range = [min, max, seen]` in place.
pub fn activation_range_update(x: &[f32], range: &mut [f32; 3], mode: RangeMode) {
    let bmin = x.iter().fold(0.0f32, |a, &v| a.min(v));
    let bmax = x.iter().fold(0.0f32, |a, &v| a.max(v));
    if range[2] == 0.0 {
        *range = [bmin, bmax, 1.0];
        return;
    }
    match mode {
        RangeMode::MovingAverage { decay } => {
            range[0] -= (1.0 - decay) * (range[0] - bmin);
            range[1] -= (1.0 - decay) * (range[1] - bmax);
        }
        RangeMode::AllSeen => {
            range[0] = range[0].min(bmin);
            range[1] = range[1].max(bmax);
        }
    }
}

/// Twin of observer/weight_range.wgsl: [-max|w|, max|w|] per channel of `inner` elements.
pub fn weight_range(w: &[f32], channels: usize, inner: usize) -> Vec<f32> {
    (0..channels)
        .flat_map(|c| {
            let m = w[c * inner..(c + 1) * inner].iter().fold(0.0f32, |a, v| a.max(v.abs()));
            [-m, m]
        })
        .collect()
}

/// Twin of optim/adam.wgsl at step `t` (from 1).
pub fn adam_update(cfg: AdamConfig, t: f32, grad: &[f32], w: &mut [f32], m: &mut [f32], v: &mut [f32]) {
    let lr_t = cfg.lr * (1.0 - cfg.beta2.powf(t)).sqrt() / (1.0 - cfg.beta1.powf(t));
    for i in 0..w.len() {
        let g = grad[i];
        m[i] = cfg.beta1 * m[i] + (1.0 - cfg.beta1) * g;
        v[i] = cfg.beta2 * v[i] + (1.0 - cfg.beta2) * g * g;
        w[i] -= lr_t * m[i] / (v[i].sqrt() + cfg.eps);
    }
}

/// Twin of data/gather_batch.wgsl: batch of `batch` samples starting at `start` in `order`.
pub fn gather_batch(images: &[u8], labels: &[u8], pixels: usize, order: &[u32], start: usize, batch: usize) -> (Vec<f32>, Vec<u32>) {
    let mut x = Vec::with_capacity(batch * pixels);
    let mut y = Vec::with_capacity(batch);
    for &s in &order[start..start + batch] {
        let s = s as usize;
        x.extend(images[s * pixels..(s + 1) * pixels].iter().map(|&p| p as f32 / 255.0));
        y.push(labels[s] as u32);
    }
    (x, y)
}
