//! Conv2D: OHWI weights, stride, TensorFlow padding; with `batch_norm` it has no bias and a batch
//! norm follows (folded during QAT); then the activation, with nothing quantized between the
//! three. Its output has a range of its own; exported as CONV_2D with per-channel weights.

use super::{Fields, FromInt8, Layer, LayerKind, OutputRange};
use crate::gpu::{Dispatch, Gpu};
use crate::model::geometry::Weights;
use crate::model::params::HostParams;
use crate::ops::conv2d::Conv2dParams;
use crate::quantize::Export;
use crate::train::plan::{Builder, WeightedKernel};
use crate::Result;
use qat_int8::model::QLayer;
use qat_int8::quant::clamp::Activation;
use qat_int8::shape::{OpShape, Padding};

/// A Conv2D layer's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conv2d {
    /// Output channels.
    pub filters: u32,
    /// [height, width] of the kernel.
    pub kernel: [u32; 2],
    /// Stride on both axes.
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: Padding,
    /// A batch norm follows (and the conv has no bias).
    pub batch_norm: bool,
    /// The fused activation.
    pub activation: Activation,
}

impl Conv2d {
    pub(crate) fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::Conv2d(Conv2d {
            filters: f.u32("filters")?,
            kernel: f.kernel()?,
            stride: f.opt_u32("stride")?.unwrap_or(1),
            padding: f.padding()?,
            batch_norm: f.flag("batch_norm")?,
            activation: f.activation()?,
        }))
    }

    pub(crate) fn from_int8(op: &QLayer, s_in: f64) -> FromInt8 {
        let QLayer::Conv2d { out_channels, kernel, stride, padding, activation, weight_scales, bias, weights, .. } = op
        else {
            return None;
        };
        let inner = weights.len() / (*out_channels as usize).max(1);
        let layer = Conv2d {
            filters: *out_channels,
            kernel: *kernel,
            stride: *stride,
            padding: *padding,
            batch_norm: false,
            activation: *activation,
        };
        let params = HostParams {
            weight: weights.iter().enumerate().map(|(k, &q)| q as f32 * weight_scales[k / inner]).collect(),
            bias: bias.iter().zip(weight_scales).map(|(&b, &s)| (b as f64 * s_in * s as f64) as f32).collect(),
            bn: None,
        };
        Some((Layer::Conv2d(layer), Some(params)))
    }
}

impl LayerKind for Conv2d {
    fn op_name(&self) -> &'static str {
        "conv2d"
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Conv { filters: self.filters, kernel: self.kernel, stride: self.stride, padding: self.padding }
    }
    fn activation(&self) -> Activation {
        self.activation
    }
    fn batch_norm(&self) -> bool {
        self.batch_norm
    }
    fn weights(&self, input: [u32; 3]) -> Option<Weights> {
        let k = (self.kernel[0] * self.kernel[1]) as usize;
        let (o, c) = (self.filters as usize, input[2] as usize);
        let bn = if self.batch_norm { o } else { 0 };
        Some(Weights {
            weight_len: o * k * c,
            bias_len: o - bn,
            bn_channels: bn,
            fan_in: k * c,
            fan_out: k * o,
            channels: o,
            inner: k * c,
        })
    }
    fn double_rounding(&self) -> bool {
        true
    }
    fn output_range(&self) -> OutputRange {
        OutputRange::Own
    }
    fn may_feed_concat(&self) -> bool {
        true
    }
    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let shape = b.shape(b.node_of(k).inputs[0]);
        let p = Conv2dParams::new(b.batch(), shape, self.filters, self.kernel, self.stride, self.padding)?;
        b.weighted(k, Box::new(p))
    }
    fn export(&self, x: &Export) -> Result<QLayer> {
        let q = x.weights()?;
        Ok(QLayer::Conv2d {
            out_channels: self.filters,
            kernel: self.kernel,
            in_channels: x.in_shape[2],
            stride: self.stride,
            padding: self.padding,
            activation: self.activation,
            weight_scales: q.weight_scales,
            multipliers: q.multipliers,
            bias: q.bias,
            weights: q.weights,
            output: x.output,
            clamp: x.clamp,
        })
    }
}

impl WeightedKernel for Conv2dParams {
    fn output_len(&self) -> usize {
        Conv2dParams::output_len(self)
    }
    fn input_len(&self) -> usize {
        Conv2dParams::input_len(self)
    }
    fn rows_channels(&self) -> (u32, u32) {
        (self.n * self.oh * self.ow, self.o)
    }
    fn macs(&self) -> u64 {
        Conv2dParams::macs(self)
    }
    fn fuses_relu(&self) -> bool {
        !self.forward_is_gemm()
    }
    fn forward(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: &wgpu::Buffer,
        y: &wgpu::Buffer,
        relu: Option<f32>,
    ) -> Result<Vec<Dispatch>> {
        Conv2dParams::forward(self, gpu, x, w, b, y, relu)
    }
    fn backward_input(&self, gpu: &Gpu, dy: &wgpu::Buffer, w: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        Conv2dParams::backward_input(self, gpu, dy, w, dx)
    }
    fn backward_weight(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) -> Result<Vec<Dispatch>> {
        Conv2dParams::backward_weight(self, gpu, x, dy, dw, db)
    }
}
