//! The training and export of DepthwiseConv2d layers (`model::kinds::depthwise_conv2d` describes them).

use crate::Result;
use crate::gpu::{dispatch::Dispatch, Gpu};
use crate::model::kinds::depthwise_conv2d::DepthwiseConv2d;
use crate::model::kinds::Layer;
use crate::model::params::HostParams;
use crate::ops::depthwise::Depthwise;
use crate::ops::reduce::ColumnSumParams;
use crate::quantize::export::Export;
use crate::train::record::{Builder, WeightedKernel};
use qat_int8::ops::{depthwise_conv2d, QLayer};
use super::{Behaviour, FromInt8};

impl Behaviour for DepthwiseConv2d {
    fn from_int8(op: &QLayer, s_in: f64) -> FromInt8 {
        let QLayer::DepthwiseConv2d(depthwise_conv2d::DepthwiseConv2d {
            channels, kernel, stride, padding, activation, per_channel, weights, ..
        }) = op
        else {
            return None;
        };
        let (weight_scales, bias) = (&per_channel.weight_scales, &per_channel.bias);
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

    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let shape = b.shape(b.node_of(k).inputs[0]);
        let d = Depthwise::new(b.batch(), shape, self.kernel, self.stride, self.padding)?;
        b.weighted(k, Box::new(d))
    }

    fn export(&self, x: &Export) -> Result<QLayer> {
        let q = x.weights()?;
        Ok(QLayer::DepthwiseConv2d(depthwise_conv2d::DepthwiseConv2d {
            channels: x.in_shape[2],
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
            activation: self.activation,
            per_channel: q.per_channel,
            weights: q.weights,
            output: x.output,
            clamp: x.clamp,
        }))
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
