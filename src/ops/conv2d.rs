//! Conv2D (NHWC input, OHWI weights): shape math with TF's "same"/"valid" padding, and the
//! forward, input-gradient and weight-gradient kernels. Pointwise (1x1, stride 1) gradients are
//! GEMMs (`ops::matmul`). The bias gradient comes with the weight gradient.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{
    dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, pipelines::Specialization, Gpu, Strategy,
};
use crate::ops::matmul::MatmulParams;
use crate::ops::reduce::ColumnSumParams;
use crate::{QatError, Result};

use qat_int8::shape::{window, Padding};

/// Most output channels one forward invocation computes (4 x `NV` in conv2d/forward.wgsl).
pub const FORWARD_CHANNEL_BLOCK: u32 = 16;

/// Most partial sums the weight gradient keeps (lanes x weights): 8 MiB of f32.
pub const MAX_PARTIAL_SUMS: usize = 1 << 21;

/// Lanes of a weight-gradient kernel (conv2d and depthwise) over `positions` output positions
/// for `weights` weights: about 64 positions per lane in whole workgroups, and never more than
/// `MAX_PARTIAL_SUMS` partial sums in all, so a large filter gets fewer lanes than a workgroup
/// (at least one: its partial sums are then the size of its weights).
pub fn weight_gradient_lanes(positions: usize, weights: usize) -> usize {
    let budget = (MAX_PARTIAL_SUMS / weights.max(1)).max(1);
    let wg = WORKGROUP_SIZE as usize;
    let lanes = positions.div_ceil(64).max(1).div_ceil(wg) * wg;
    if lanes <= budget {
        lanes
    } else if budget >= wg {
        budget / wg * wg
    } else {
        budget
    }
}

/// Uniform of all three conv2d kernels.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Conv2dParams {
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
    /// Output channels.
    pub o: u32,
    /// Kernel height.
    pub kh: u32,
    /// Kernel width.
    pub kw: u32,
    /// Stride on both axes.
    pub stride: u32,
    /// Padding rows above the input (TensorFlow "same" rule).
    pub pad_top: u32,
    /// Padding columns left of the input (TensorFlow "same" rule).
    pub pad_left: u32,
}

crate::uniform_fields!(Conv2dParams: n, h, w, c, oh, ow, o, kh, kw, stride, pad_top, pad_left);

impl Conv2dParams {
    /// Shapes for a batch of `n` `[h, w, c]` inputs and `o` filters of `kh x kw`.
    pub fn new(n: u32, [h, w, c]: [u32; 3], o: u32, [kh, kw]: [u32; 2], stride: u32, padding: Padding) -> Result<Self> {
        match window([h, w], [kh, kw], stride, padding) {
            Some(win) if c > 0 && o > 0 && n > 0 => {
                let ([oh, ow], pad_top, pad_left) = (win.out, win.pads.top, win.pads.left);
                Ok(Conv2dParams { n, h, w, c, oh, ow, o, kh, kw, stride, pad_top, pad_left })
            }
            _ => Err(QatError::Invalid(format!(
                "conv2d: {kh}x{kw} kernel, stride {stride}, {padding:?} padding does not fit input {h}x{w}x{c} with {o} filters"
            ))),
        }
    }
}

impl Conv2dParams {
    /// Elements of the input (whole batch).
    pub fn input_len(&self) -> usize {
        (self.n * self.h * self.w * self.c) as usize
    }
    /// Elements of the output (whole batch).
    pub fn output_len(&self) -> usize {
        (self.n * self.oh * self.ow * self.o) as usize
    }
    /// Number of weights.
    pub fn weight_len(&self) -> usize {
        (self.o * self.kh * self.kw * self.c) as usize
    }
    /// Multiply-adds of one forward pass.
    pub fn macs(&self) -> u64 {
        self.output_len() as u64 * (self.kh * self.kw * self.c) as u64
    }

    /// Whether `forward` computes the conv with the blocked vec4 GEMM (a pointwise conv with
    /// o % 4 == 0), which has no fused ReLU.
    pub fn forward_is_gemm(&self) -> bool {
        self.is_pointwise() && self.o.is_multiple_of(4)
    }
    /// Records y = conv(x, w) + b, then min(max(y, 0), cap) when `relu` is `Some(cap)` (not on
    /// the GEMM path, see `forward_is_gemm`): the weights laid out [K, o]
    /// (conv2d/weights_ko.wgsl, into a buffer made here), then the conv, or for a pointwise conv
    /// with o % 4 == 0 the blocked vec4 GEMM over the n*h*w positions.
    pub fn forward(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        bias: &wgpu::Buffer,
        y: &wgpu::Buffer,
        relu: Option<f32>,
    ) -> Result<Vec<Dispatch>> {
        let taps = (self.kh * self.kw * self.c) as usize;
        let width = 4 * self.o.div_ceil(4) as usize;
        let wk = gpu.storage("conv2d weights [K, o]", taps * width);
        let transpose = Dispatch::new(gpu, &WEIGHTS_KO, self, &[w, &wk], Grid::items(taps * width, WORKGROUP_SIZE))?;
        if self.forward_is_gemm() {
            if relu.is_some() {
                return Err(QatError::Invalid("conv2d: the pointwise GEMM has no fused ReLU".into()));
            }
            // y [nhw, o] = x [nhw, c] wk [c, o] + bias: the blocked vec4 GEMM, same sum order.
            let positions = self.n * self.h * self.w;
            let gemm = MatmulParams {
                m: positions,
                n: self.o,
                k: self.c,
                has_bias: 1,
                a_sm: self.c,
                a_sk: 1,
                b_sk: self.o,
                b_sn: 1,
            };
            return Ok(vec![transpose, gemm.dispatch(gpu, x, &wk, bias, y)?]);
        }
        let pixels = (self.n * self.oh * self.ow) as usize;
        let blocks = self.o.div_ceil(FORWARD_CHANNEL_BLOCK) as usize;
        Ok(vec![
            transpose,
            Dispatch::specialized(
                gpu,
                &FORWARD,
                &self.spatial_specialization().with("RELU", relu.is_some()).with("CAP", relu.unwrap_or(0.0)),
                self,
                &[x, &wk, bias, y],
                Grid::items_by_layer(pixels, WORKGROUP_SIZE, blocks),
            )?,
        ])
    }
    /// The shape constants the conv kernels are specialized on (their pipelines are made per
    /// layer shape).
    pub fn specialization(&self) -> Specialization {
        Specialization::default()
            .with("KH", self.kh)
            .with("KW", self.kw)
            .with("C", self.c)
            .with("O", self.o)
            .with("STRIDE", self.stride)
    }
    /// `specialization` with the spatial sizes and padding too (the forward kernel's: its
    /// divisions and bounds checks then use constants; the batch size stays a parameter).
    pub fn spatial_specialization(&self) -> Specialization {
        self.specialization()
            .with("H", self.h)
            .with("W", self.w)
            .with("OH", self.oh)
            .with("OW", self.ow)
            .with("PAD_TOP", self.pad_top)
            .with("PAD_LEFT", self.pad_left)
    }
    /// A 1x1, stride-1 conv is a matrix product over the n*h*w positions ("pointwise").
    pub fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.stride == 1 && self.oh == self.h && self.ow == self.w
    }
    /// Pointwise input gradient as a GEMM: dx [nhw, c] = dy [nhw, o] x w [o, c].
    pub fn pointwise_backward_input_params(&self) -> MatmulParams {
        let positions = self.n * self.h * self.w;
        MatmulParams { m: positions, n: self.c, k: self.o, has_bias: 0, a_sm: self.o, a_sk: 1, b_sk: self.c, b_sn: 1 }
    }
    /// Pointwise weight gradient as a GEMM: dw [o, c] = dy^T [o, nhw] x x [nhw, c].
    pub fn pointwise_backward_weight_params(&self) -> MatmulParams {
        let positions = self.n * self.h * self.w;
        MatmulParams { m: self.o, n: self.c, k: positions, has_bias: 0, a_sm: 1, a_sk: self.o, b_sk: self.c, b_sn: 1 }
    }
    /// Records the kernel that computes the input gradient dx from dy and the weights.
    pub fn backward_input(
        &self,
        gpu: &Gpu,
        dy: &wgpu::Buffer,
        w: &wgpu::Buffer,
        dx: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        if self.is_pointwise() {
            return self.pointwise_backward_input_params().dispatch(gpu, dy, w, w, dx);
        }
        Dispatch::specialized(
            gpu,
            &BACKWARD_INPUT,
            &self.specialization(),
            self,
            &[dy, w, dx],
            Grid::items((self.n * self.h * self.w * self.c.div_ceil(4)) as usize, WORKGROUP_SIZE),
        )
    }
    /// Records the kernels that compute the weight gradient dw from x and dy, and the bias
    /// gradient db (the column sums of dy) when given: a GEMM for a pointwise conv, else
    /// conv2d/backward_weight.wgsl's partial sums per lane (buffers made here, at most
    /// `MAX_PARTIAL_SUMS` values) and their column sums.
    pub fn backward_weight(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) -> Result<Vec<Dispatch>> {
        self.backward_weight_for(gpu.strategy(), gpu, x, dy, dw, db)
    }
    /// `backward_weight` shaped for `strategy` (tests run both).
    pub fn backward_weight_for(
        &self,
        strategy: Strategy,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) -> Result<Vec<Dispatch>> {
        let positions = self.n * self.oh * self.ow;
        // A pointwise conv's weight gradient is a GEMM whose inner dimension is every position:
        // one long loop per lane suits lavapipe; a GPU needs the split-K kernel below.
        if self.is_pointwise() && strategy == Strategy::CpuLanes {
            let mut out = vec![self.pointwise_backward_weight_params().dispatch(gpu, dy, x, x, dw)?];
            if let Some(db) = db {
                out.extend(ColumnSumParams::new(positions, self.o).dispatch(gpu, dy, db)?);
            }
            return Ok(out);
        }
        let weights = self.weight_len();
        let lanes = weight_gradient_lanes(positions as usize, weights);
        let groups = lanes.div_ceil(WORKGROUP_SIZE as usize).max(1);
        let k = (self.kh * self.kw * self.c) as usize;
        // As the kernel: blocks of 16 taps, and of OV vec4s of output channels (up to four
        // where one tap block holds the whole filter, else one).
        let o4 = self.o.div_ceil(4) as usize;
        let ov = if k <= 16 { o4.min(4) } else { 1 };
        let blocks = o4.div_ceil(ov) * k.div_ceil(16);
        let partial = gpu.storage("conv2d weight-gradient partial sums", lanes * weights);
        let partial_bias = gpu.storage("conv2d bias-gradient partial sums", lanes * self.o as usize);
        let mut out = vec![Dispatch::specialized(
            gpu,
            &BACKWARD_WEIGHT,
            &self.specialization().with("LANES", lanes as u32),
            self,
            &[x, dy, &partial, &partial_bias],
            Grid(groups as u32, 1, blocks as u32),
        )?];
        out.extend(ColumnSumParams::new(lanes as u32, weights as u32).dispatch(gpu, &partial, dw)?);
        if let Some(db) = db {
            out.extend(ColumnSumParams::new(lanes as u32, self.o).dispatch(gpu, &partial_bias, db)?);
        }
        Ok(out)
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `conv2d/forward`: shaders/conv2d/forward.wgsl.
#[rustfmt::skip]
pub static FORWARD: Kernel<Conv2dParams> = crate::kernel!("conv2d/forward", Conv2dParams, [R, R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "O", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT", "RELU", "CAP"]);
/// `conv2d/weights_ko`: shaders/conv2d/weights_ko.wgsl.
#[rustfmt::skip]
pub static WEIGHTS_KO: Kernel<Conv2dParams> = crate::kernel!("conv2d/weights_ko", Conv2dParams, [R, W], "common/conv_params");
/// `conv2d/backward_input`: shaders/conv2d/backward_input.wgsl.
#[rustfmt::skip]
pub static BACKWARD_INPUT: Kernel<Conv2dParams> = crate::kernel!("conv2d/backward_input", Conv2dParams, [R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "O", "STRIDE"]);
/// `conv2d/backward_weight`: shaders/conv2d/backward_weight.wgsl.
#[rustfmt::skip]
pub static BACKWARD_WEIGHT: Kernel<Conv2dParams> = crate::kernel!("conv2d/backward_weight", Conv2dParams, [R, R, W, W], "common/conv_params"; specialized ["KH", "KW", "C", "O", "STRIDE", "LANES"]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] =
    &[&FORWARD.shader, &WEIGHTS_KO.shader, &BACKWARD_INPUT.shader, &BACKWARD_WEIGHT.shader];

/// Twins of the conv2d kernels, and the window walk the depthwise twins share.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use crate::ops::conv2d::Conv2dParams;

    /// Visits every in-bounds window position of a conv: (b, oy, ox, ky, kx, iy, ix).
    pub(crate) fn for_each_window(p: &Conv2dParams, mut f: impl FnMut(u32, u32, u32, u32, u32, u32, u32)) {
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
}
