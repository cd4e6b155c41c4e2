//! Twins of the conv2d kernels, and the window walk the depthwise twins share.

use crate::ops::conv2d::Conv2dParams;

/// Visits every in-bounds window position of a conv: (b, oy, ox, ky, kx, iy, ix).
pub(super) fn for_each_window(p: &Conv2dParams, mut f: impl FnMut(u32, u32, u32, u32, u32, u32, u32)) {
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
                        f(b, oy, ox, ky, kx, iy as u32, ix as u32);
                    }
                }
            }
        }
    }
}

/// Visits every (input index, weight index, output index) tap of a conv2d.
fn for_each_tap(p: &Conv2dParams, mut f: impl FnMut(usize, usize, usize)) {
    for_each_window(p, |b, oy, ox, ky, kx, iy, ix| {
        for oc in 0..p.o {
            for ci in 0..p.c {
                let xi = ((b * p.h + iy) * p.w + ix) * p.c + ci;
                let wi = ((oc * p.kh + ky) * p.kw + kx) * p.c + ci;
                let yi = ((b * p.oh + oy) * p.ow + ox) * p.o + oc;
                f(xi as usize, wi as usize, yi as usize);
            }
        }
    });
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
