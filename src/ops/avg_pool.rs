//! Average pooling: k x k windows, stride, TF padding; each output is the mean over its
//! in-bounds taps, as TFLite's AVERAGE_POOL_2D.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, Gpu};
use crate::{QatError, Result};
use qat_int8::shape::{window, Padding};

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the average pooling kernels (shaders/avg_pool/).
pub struct AvgPoolParams {
    /// Batch size.
    pub n: u32,
    /// Input height.
    pub h: u32,
    /// Input width.
    pub w: u32,
    /// Input channels.
    pub c: u32,
    /// Output height.
    pub oh: u32,
    /// Output width.
    pub ow: u32,
    /// Window height and width.
    pub k: u32,
    /// Stride on both axes.
    pub stride: u32,
    /// Padding rows above the input (TensorFlow "same" rule).
    pub pad_top: u32,
    /// Padding columns left of the input (TensorFlow "same" rule).
    pub pad_left: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(AvgPoolParams: n, h, w, c, oh, ow, k, stride, pad_top, pad_left, _pad);

impl AvgPoolParams {
    /// Pooling `k` x `k` windows with `stride` and TF `padding` over a batch of `n` inputs of [h, w, c]; an error when the window does not fit.
    pub fn new(n: u32, [h, w, c]: [u32; 3], k: u32, stride: u32, padding: Padding) -> Result<Self> {
        match window([h, w], [k, k], stride, padding) {
            Some(win) if c > 0 => {
                let ([oh, ow], pad_top, pad_left) = (win.out, win.pads.top, win.pads.left);
                Ok(AvgPoolParams { n, h, w, c, oh, ow, k, stride, pad_top, pad_left, _pad: [0; 2] })
            }
            _ => Err(QatError::Invalid(format!(
                "average pool {k}x{k} stride {stride} {padding:?} does not fit input {h}x{w}x{c}"
            ))),
        }
    }
    /// Elements of the input (whole batch).
    pub fn input_len(&self) -> usize {
        (self.n * self.h * self.w * self.c) as usize
    }
    /// Elements of the output (whole batch).
    pub fn output_len(&self) -> usize {
        (self.n * self.oh * self.ow * self.c) as usize
    }
    /// Records the forward: x -> y.
    pub fn forward(&self, gpu: &Gpu, x: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &FORWARD, self, &[x, y], Grid::items(self.output_len(), WORKGROUP_SIZE))
    }
    /// Records the backward: dy -> dx (each tap gets its window's share).
    pub fn backward(&self, gpu: &Gpu, dy: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &BACKWARD, self, &[dy, dx], Grid::items(self.input_len(), WORKGROUP_SIZE))
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `avg_pool/forward`: shaders/avg_pool/forward.wgsl.
#[rustfmt::skip]
pub static FORWARD: Kernel<AvgPoolParams> = crate::kernel!("avg_pool/forward", AvgPoolParams, [R, W]);
/// `avg_pool/backward`: shaders/avg_pool/backward.wgsl.
#[rustfmt::skip]
pub static BACKWARD: Kernel<AvgPoolParams> = crate::kernel!("avg_pool/backward", AvgPoolParams, [R, W]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&FORWARD.shader, &BACKWARD.shader];

/// Twins of the average pooling kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use crate::ops::avg_pool::AvgPoolParams;

    /// In-bounds (first, end) of window `o` along an axis of `size` (TF padding).
    fn window(o: u32, stride: u32, k: u32, pad: u32, size: u32) -> (u32, u32) {
        let lo = (o * stride) as i64 - pad as i64;
        (lo.max(0) as u32, ((lo + k as i64).min(size as i64)).max(0) as u32)
    }

    /// Twin of avg_pool/forward.wgsl: the mean over in-bounds taps.
    pub fn avg_pool_forward(p: &AvgPoolParams, x: &[f32]) -> Vec<f32> {
        let mut y = vec![0.0; p.output_len()];
        for b in 0..p.n {
            for oy in 0..p.oh {
                let (y0, y1) = window(oy, p.stride, p.k, p.pad_top, p.h);
                for ox in 0..p.ow {
                    let (x0, x1) = window(ox, p.stride, p.k, p.pad_left, p.w);
                    for ch in 0..p.c {
                        let mut sum = 0.0;
                        for iy in y0..y1 {
                            for ix in x0..x1 {
                                sum += x[(((b * p.h + iy) * p.w + ix) * p.c + ch) as usize];
                            }
                        }
                        let count = ((y1 - y0) * (x1 - x0)).max(1);
                        y[(((b * p.oh + oy) * p.ow + ox) * p.c + ch) as usize] = sum / count as f32;
                    }
                }
            }
        }
        y
    }

    /// Twin of avg_pool/backward.wgsl.
    pub fn avg_pool_backward(p: &AvgPoolParams, dy: &[f32]) -> Vec<f32> {
        let mut dx = vec![0.0; p.input_len()];
        for b in 0..p.n {
            for oy in 0..p.oh {
                let (y0, y1) = window(oy, p.stride, p.k, p.pad_top, p.h);
                for ox in 0..p.ow {
                    let (x0, x1) = window(ox, p.stride, p.k, p.pad_left, p.w);
                    let count = ((y1 - y0) * (x1 - x0)).max(1) as f32;
                    for ch in 0..p.c {
                        let g = dy[(((b * p.oh + oy) * p.ow + ox) * p.c + ch) as usize] / count;
                        for iy in y0..y1 {
                            for ix in x0..x1 {
                                dx[(((b * p.h + iy) * p.w + ix) * p.c + ch) as usize] += g;
                            }
                        }
                    }
                }
            }
        }
        dx
    }
}
