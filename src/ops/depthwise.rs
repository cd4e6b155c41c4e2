//! Depthwise Conv2D with depth multiplier 1: weights [KH, KW, C] (TFLite's [1, KH, KW, C]),
//! shapes from `Conv2dParams` with o == c. Forward, input-gradient and weight-gradient kernels;
//! the bias gradient is `reduce::column_sum`.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, pipelines::Specialization, Gpu};
use crate::ops::conv2d::{weight_gradient_lanes, Conv2dParams};
use crate::ops::reduce::ColumnSumParams;
use crate::Result;
use qat_int8::shape::Padding;

/// Shapes of a depthwise conv (a `Conv2dParams` whose `o` equals `c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depthwise(pub Conv2dParams);

impl Depthwise {
    /// A depthwise conv (depth multiplier 1) over a batch of `n` inputs of `input` shape.
    pub fn new(n: u32, input: [u32; 3], kernel: [u32; 2], stride: u32, padding: Padding) -> Result<Self> {
        Ok(Depthwise(Conv2dParams::new(n, input, input[2], kernel, stride, padding)?))
    }
    /// The conv parameters the kernels bind (o == c).
    pub fn params(&self) -> &Conv2dParams {
        &self.0
    }
    /// Number of weights.
    pub fn weight_len(&self) -> usize {
        (self.0.kh * self.0.kw * self.0.c) as usize
    }
    /// Multiply-adds of one forward.
    pub fn macs(&self) -> u64 {
        self.0.output_len() as u64 * (self.0.kh * self.0.kw) as u64
    }
    /// Records y = depthwise(x, w) + b.
    pub fn forward(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        bias: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        if self.vec4_applies() {
            let grid = Grid::items(self.0.output_len() / 4, WORKGROUP_SIZE);
            return Dispatch::specialized(gpu, &FORWARD_VEC4, &self.specialization(), &self.0, &[x, w, bias, y], grid);
        }
        Dispatch::specialized(
            gpu,
            &FORWARD,
            &self.specialization(),
            &self.0,
            &[x, w, bias, y],
            Grid::items(self.0.output_len(), WORKGROUP_SIZE),
        )
    }
    /// The shape constants the depthwise kernels are specialized on.
    pub fn specialization(&self) -> Specialization {
        let p = &self.0;
        Specialization::default().with("KH", p.kh).with("KW", p.kw).with("C", p.c).with("STRIDE", p.stride)
    }
    /// Whether the four-channels-per-lane kernels apply (c % 4 == 0).
    pub fn vec4_applies(&self) -> bool {
        self.0.c.is_multiple_of(4)
    }
    /// Records the kernel that computes the input gradient dx from dy and the weights.
    pub fn backward_input(
        &self,
        gpu: &Gpu,
        dy: &wgpu::Buffer,
        w: &wgpu::Buffer,
        dx: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        if self.vec4_applies() {
            let grid = Grid::items(self.0.input_len() / 4, WORKGROUP_SIZE);
            return Dispatch::specialized(
                gpu,
                &BACKWARD_INPUT_VEC4,
                &self.specialization(),
                &self.0,
                &[dy, w, dx],
                grid,
            );
        }
        Dispatch::specialized(
            gpu,
            &BACKWARD_INPUT,
            &self.specialization(),
            &self.0,
            &[dy, w, dx],
            Grid::items(self.0.input_len(), WORKGROUP_SIZE),
        )
    }
    /// Records the kernels that compute the weight gradient dw from x and dy:
    /// depthwise/backward_weight.wgsl's partial sums per lane (a buffer made here, at most
    /// `conv2d::MAX_PARTIAL_SUMS` values) and their column sums.
    pub fn backward_weight(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dw: &wgpu::Buffer,
    ) -> Result<Vec<Dispatch>> {
        let p = &self.0;
        let weights = self.weight_len();
        let positions = (p.n * p.oh * p.ow) as usize;
        // About 64 positions per lane, within the partial-sum budget.
        let lanes = weight_gradient_lanes(positions, weights);
        let groups = lanes.div_ceil(WORKGROUP_SIZE as usize).max(1);
        let tap_blocks = (p.kh * p.kw).div_ceil(16);
        let partial = gpu.storage("depthwise weight-gradient partial sums", lanes * weights);
        let mut out = vec![Dispatch::specialized(
            gpu,
            &BACKWARD_WEIGHT,
            &self.specialization().with("LANES", lanes as u32),
            p,
            &[x, dy, &partial],
            Grid(groups as u32, p.c.div_ceil(4), tap_blocks),
        )?];
        out.extend(ColumnSumParams::new(lanes as u32, weights as u32).dispatch(gpu, &partial, dw)?);
        Ok(out)
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `depthwise/forward`: shaders/depthwise/forward.wgsl.
#[rustfmt::skip]
pub static FORWARD: Kernel<crate::ops::conv2d::Conv2dParams> = crate::kernel!("depthwise/forward", crate::ops::conv2d::Conv2dParams, [R, R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE"]);
/// `depthwise/backward_input`: shaders/depthwise/backward_input.wgsl.
#[rustfmt::skip]
pub static BACKWARD_INPUT: Kernel<crate::ops::conv2d::Conv2dParams> = crate::kernel!("depthwise/backward_input", crate::ops::conv2d::Conv2dParams, [R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE"]);
/// `depthwise/backward_weight`: shaders/depthwise/backward_weight.wgsl.
#[rustfmt::skip]
pub static BACKWARD_WEIGHT: Kernel<crate::ops::conv2d::Conv2dParams> = crate::kernel!("depthwise/backward_weight", crate::ops::conv2d::Conv2dParams, [R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE", "LANES"]);
/// `depthwise/forward_vec4`: shaders/depthwise/forward_vec4.wgsl.
#[rustfmt::skip]
pub static FORWARD_VEC4: Kernel<crate::ops::conv2d::Conv2dParams> = crate::kernel!("depthwise/forward_vec4", crate::ops::conv2d::Conv2dParams, [R, R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE"]);
/// `depthwise/backward_input_vec4`: shaders/depthwise/backward_input_vec4.wgsl.
#[rustfmt::skip]
pub static BACKWARD_INPUT_VEC4: Kernel<crate::ops::conv2d::Conv2dParams> = crate::kernel!("depthwise/backward_input_vec4", crate::ops::conv2d::Conv2dParams, [R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE"]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[
    &FORWARD.shader,
    &BACKWARD_INPUT.shader,
    &BACKWARD_WEIGHT.shader,
    &FORWARD_VEC4.shader,
    &BACKWARD_INPUT_VEC4.shader,
];

/// Twins of the depthwise conv kernels (o == c, weights [KH, KW, C]).
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use crate::ops::conv2d::twin::for_each_window;
    use crate::ops::conv2d::Conv2dParams;

    /// Visits every (input index, weight index, output index) tap of a depthwise conv (o == c,
    /// weights [KH, KW, C]).
    fn for_each_depthwise_tap(p: &Conv2dParams, mut f: impl FnMut(usize, usize, usize)) {
        for_each_window(p, |b, oy, ox, ky, kx, iy, ix| {
            for ch in 0..p.c {
                let xi = ((b * p.h + iy) * p.w + ix) * p.c + ch;
                let wi = (ky * p.kw + kx) * p.c + ch;
                let yi = ((b * p.oh + oy) * p.ow + ox) * p.c + ch;
                f(xi as usize, wi as usize, yi as usize);
            }
        });
    }

    /// Twin of depthwise/forward.wgsl.
    pub fn depthwise_forward(p: &Conv2dParams, x: &[f32], w: &[f32], bias: &[f32]) -> Vec<f32> {
        let mut y: Vec<f32> = (0..p.output_len()).map(|i| bias[i % p.c as usize]).collect();
        for_each_depthwise_tap(p, |xi, wi, yi| y[yi] += x[xi] * w[wi]);
        y
    }

    /// Twin of depthwise/backward_input.wgsl.
    pub fn depthwise_backward_input(p: &Conv2dParams, dy: &[f32], w: &[f32]) -> Vec<f32> {
        let mut dx = vec![0.0; p.input_len()];
        for_each_depthwise_tap(p, |xi, wi, yi| dx[xi] += dy[yi] * w[wi]);
        dx
    }

    /// Twin of depthwise/backward_weight.wgsl.
    pub fn depthwise_backward_weight(p: &Conv2dParams, x: &[f32], dy: &[f32]) -> Vec<f32> {
        let mut dw = vec![0.0; (p.kh * p.kw * p.c) as usize];
        for_each_depthwise_tap(p, |xi, wi, yi| dw[wi] += dy[yi] * x[xi]);
        dw
    }
}
