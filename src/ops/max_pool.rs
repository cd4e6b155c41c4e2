//! Max pooling of k x k windows at stride s, NHWC, over the in-bounds taps of padded windows
//! ("valid", "same" or explicit padding: a padded tap is never the maximum); the forward records
//! argmax indices that the backward routes gradients through.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, pipelines::Specialization, Gpu};
use crate::{QatError, Result};
use qat_int8::shape::{check_pads, window, Padding};

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the max pooling kernels (shaders/max_pool/).
pub struct MaxPoolParams {
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
    /// Rows of padding before the first.
    pub pad_top: u32,
    /// Columns of padding before the first.
    pub pad_left: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(MaxPoolParams: n, h, w, c, oh, ow, k, stride, pad_top, pad_left, _pad);

impl MaxPoolParams {
    /// Pooling `k` x `k` windows with `stride` and `padding` over a batch of `n` inputs of
    /// [h, w, c]; an error when the window does not fit or a side's padding is not less than `k`.
    pub fn new(n: u32, [h, w, c]: [u32; 3], k: u32, stride: u32, padding: Padding) -> Result<Self> {
        let bad = || {
            QatError::Invalid(format!("max pool {k}x{k} stride {stride} {padding:?} does not fit input {h}x{w}x{c}"))
        };
        check_pads(padding, [k, k]).map_err(QatError::Invalid)?;
        let win = window([h, w], [k, k], stride, padding).filter(|_| c > 0).ok_or_else(bad)?;
        let ([oh, ow], pad_top, pad_left) = (win.out, win.pads.top, win.pads.left);
        Ok(MaxPoolParams { n, h, w, c, oh, ow, k, stride, pad_top, pad_left, _pad: [0; 2] })
    }
    /// Elements of the input (whole batch).
    pub fn input_len(&self) -> usize {
        (self.n * self.h * self.w * self.c) as usize
    }
    /// Elements of the output (whole batch).
    pub fn output_len(&self) -> usize {
        (self.n * self.oh * self.ow * self.c) as usize
    }
    /// The constants the four-channels-per-lane kernels are specialized on.
    pub fn specialization(&self) -> Specialization {
        Specialization::default()
            .with("C", self.c)
            .with("K", self.k)
            .with("STRIDE", self.stride)
            .with("H", self.h)
            .with("W", self.w)
            .with("OH", self.oh)
            .with("OW", self.ow)
            .with("PAD_TOP", self.pad_top)
            .with("PAD_LEFT", self.pad_left)
    }
    /// Whether the four-channels-per-lane kernels apply (c % 4 == 0).
    pub fn vec4_applies(&self) -> bool {
        self.c.is_multiple_of(4)
    }
    /// Records y = the window maxima, and the input index of each in `argmax`.
    pub fn forward(&self, gpu: &Gpu, x: &wgpu::Buffer, y: &wgpu::Buffer, argmax: &wgpu::Buffer) -> Result<Dispatch> {
        if self.vec4_applies() {
            let grid = Grid::items(self.output_len() / 4, WORKGROUP_SIZE);
            return Dispatch::specialized(gpu, &FORWARD_VEC4, &self.specialization(), self, &[x, y, argmax], grid);
        }
        Dispatch::new(gpu, &FORWARD, self, &[x, y, argmax], Grid::items(self.output_len(), WORKGROUP_SIZE))
    }
    /// Records dx: each dy to its window's argmax.
    pub fn backward(&self, gpu: &Gpu, dy: &wgpu::Buffer, argmax: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        if self.k == self.stride && self.vec4_applies() {
            let grid = Grid::items(self.output_len() / 4, WORKGROUP_SIZE);
            return Dispatch::specialized(gpu, &BACKWARD_VEC4, &self.specialization(), self, &[dy, argmax, dx], grid);
        }
        // One invocation per window when windows do not overlap, else one per input element.
        let items = if self.k == self.stride { self.output_len() } else { self.input_len() };
        Dispatch::new(gpu, &BACKWARD, self, &[dy, argmax, dx], Grid::items(items, WORKGROUP_SIZE))
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `max_pool/forward`: shaders/max_pool/forward.wgsl.
#[rustfmt::skip]
pub static FORWARD: Kernel<MaxPoolParams> = crate::kernel!("max_pool/forward", MaxPoolParams, [R, W, W]);
/// `max_pool/backward`: shaders/max_pool/backward.wgsl.
#[rustfmt::skip]
pub static BACKWARD: Kernel<MaxPoolParams> = crate::kernel!("max_pool/backward", MaxPoolParams, [R, R, W]);
/// `max_pool/forward_vec4`: shaders/max_pool/forward_vec4.wgsl.
#[rustfmt::skip]
pub static FORWARD_VEC4: Kernel<MaxPoolParams> = crate::kernel!("max_pool/forward_vec4", MaxPoolParams, [R, W, W]; specialized ["C", "K", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT"]);
/// `max_pool/backward_vec4`: shaders/max_pool/backward_vec4.wgsl.
#[rustfmt::skip]
pub static BACKWARD_VEC4: Kernel<MaxPoolParams> = crate::kernel!("max_pool/backward_vec4", MaxPoolParams, [R, R, W]; specialized ["C", "K", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT"]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&FORWARD.shader, &BACKWARD.shader, &FORWARD_VEC4.shader, &BACKWARD_VEC4.shader];

/// Twins of the max pooling kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use crate::ops::max_pool::MaxPoolParams;

    /// Twin of max_pool/forward.wgsl: (output, argmax input index).
    pub fn max_pool_forward(p: &MaxPoolParams, x: &[f32]) -> (Vec<f32>, Vec<u32>) {
        let mut y = vec![0.0; p.output_len()];
        let mut arg = vec![0u32; p.output_len()];
        for b in 0..p.n {
            for oy in 0..p.oh {
                for ox in 0..p.ow {
                    for ch in 0..p.c {
                        let mut best = f32::NEG_INFINITY;
                        let mut best_i = None;
                        for ky in 0..p.k {
                            for kx in 0..p.k {
                                let iy = (oy * p.stride + ky) as i64 - p.pad_top as i64;
                                let ix = (ox * p.stride + kx) as i64 - p.pad_left as i64;
                                if iy < 0 || ix < 0 || iy >= p.h as i64 || ix >= p.w as i64 {
                                    continue;
                                }
                                let i = ((b * p.h + iy as u32) * p.w + ix as u32) * p.c + ch;
                                if x[i as usize] > best || best_i.is_none() {
                                    best = x[i as usize];
                                    best_i = Some(i);
                                }
                            }
                        }
                        let best_i = best_i.unwrap_or(0);
                        let o = (((b * p.oh + oy) * p.ow + ox) * p.c + ch) as usize;
                        y[o] = best;
                        arg[o] = best_i;
                    }
                }
            }
        }
        (y, arg)
    }

    /// Twin of max_pool/backward.wgsl.
    pub fn max_pool_backward(p: &MaxPoolParams, dy: &[f32], argmax: &[u32]) -> Vec<f32> {
        let mut dx = vec![0.0; p.input_len()];
        for (o, &i) in argmax.iter().enumerate() {
            dx[i as usize] += dy[o];
        }
        dx
    }
}
