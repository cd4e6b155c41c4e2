//! Depthwise Conv2D (depth multiplier 1): weights [KH, KW, C], the same options as Conv2D but no
//! filter count. Its output has a range of its own; exported as DEPTHWISE_CONV_2D with
//! per-channel weights.

use super::{Fields, FromInt8, Layer, LayerKind, OutputRange};
use crate::gpu::{Dispatch, Gpu};
use crate::model::geometry::Weights;
use crate::model::params::HostParams;
use crate::ops::depthwise::Depthwise;
use crate::ops::reduce::ColumnSumParams;
use crate::quantize::Export;
use crate::train::plan::{Builder, WeightedKernel};
use crate::Result;
use qat_int8::model::QLayer;
use qat_int8::quant::clamp::Activation;
use qat_int8::shape::{OpShape, Padding};

/// A depthwise Conv2D layer's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepthwiseConv2d {
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

impl DepthwiseConv2d {
    pub(crate) fn parse(f: &mut Fields) -> std::result::Result<Layer, String> {
        Ok(Layer::DepthwiseConv2d(DepthwiseConv2d {
            kernel: f.kernel()?,
            stride: f.opt_u32("stride")?.unwrap_or(1),
            padding: f.padding()?,
            batch_norm: f.flag("batch_norm")?,
            activation: f.activation()?,
        }))
    }

    pub(crate) fn from_int8(op: &QLayer, s_in: f64) -> FromInt8 {
        let QLayer::DepthwiseConv2d {
            channels, kernel, stride, padding, activation, weight_scales, bias, weights, ..
        } = op
        else {
            return None;
        };
        let layer = DepthwiseConv2d {
            kernel: *kernel,
            stride: *stride,
            padding: *padding,
            batch_norm: false,
            activation: *activation,
        };
        let params = HostParams {
            weight: weights
                .iter()
                .enumerate()
                .map(|(k, &q)| q as f32 * weight_scales[k % *channels as usize])
                .collect(),
            bias: bias.iter().zip(weight_scales).map(|(&b, &s)| (b as f64 * s_in * s as f64) as f32).collect(),
            bn: None,
        };
        Some((Layer::DepthwiseConv2d(layer), Some(params)))
    }
}

impl LayerKind for DepthwiseConv2d {
    fn op_name(&self) -> &'static str {
        "depthwise_conv2d"
    }
    fn shape_op(&self) -> OpShape {
        OpShape::Depthwise { kernel: self.kernel, stride: self.stride, padding: self.padding }
    }
    fn activation(&self) -> Activation {
        self.activation
    }
    fn batch_norm(&self) -> bool {
        self.batch_norm
    }
    fn weights(&self, input: [u32; 3]) -> Option<Weights> {
        let k = (self.kernel[0] * self.kernel[1]) as usize;
        let c = input[2] as usize;
        let bn = if self.batch_norm { c } else { 0 };
        // Keras's depthwise_initializer fan: kernel taps in, kernel taps out.
        Some(Weights {
            weight_len: k * c,
            bias_len: c - bn,
            bn_channels: bn,
            fan_in: k,
            fan_out: k,
            channels: c,
            inner: 1,
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
        let d = Depthwise::new(b.batch(), shape, self.kernel, self.stride, self.padding)?;
        b.weighted(k, Box::new(d))
    }
    fn export(&self, x: &Export) -> Result<QLayer> {
        let q = x.weights()?;
        Ok(QLayer::DepthwiseConv2d {
            channels: x.in_shape[2],
            kernel: self.kernel,
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

impl WeightedKernel for Depthwise {
    fn output_len(&self) -> usize {
        self.params().output_len()
    }
    fn input_len(&self) -> usize {
        self.params().input_len()
    }
    fn rows_channels(&self) -> (u32, u32) {
        let p = self.params();
        (p.n * p.oh * p.ow, p.c)
    }
    fn macs(&self) -> u64 {
        Depthwise::macs(self)
    }
    fn forward(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: &wgpu::Buffer,
        y: &wgpu::Buffer,
        _relu: Option<f32>,
    ) -> Result<Vec<Dispatch>> {
        Ok(vec![Depthwise::forward(self, gpu, x, w, b, y)?])
    }
    fn backward_input(&self, gpu: &Gpu, dy: &wgpu::Buffer, w: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        Depthwise::backward_input(self, gpu, dy, w, dx)
    }
    fn backward_weight(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) -> Result<Vec<Dispatch>> {
        let mut out = Depthwise::backward_weight(self, gpu, x, dy, dw)?;
        if let Some(db) = db {
            let (rows, channels) = self.rows_channels();
            out.extend(ColumnSumParams::new(rows, channels).dispatch(gpu, dy, db)?);
        }
        Ok(out)
    }
}
