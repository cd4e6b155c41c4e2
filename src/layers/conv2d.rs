//! The training and export of Conv2d layers (`model::kinds::conv2d` describes them).

use crate::Result;
use crate::gpu::{dispatch::Dispatch, Gpu};
use crate::model::kinds::conv2d::Conv2d;
use crate::model::kinds::Layer;
use crate::model::params::HostParams;
use crate::ops::conv2d::Conv2dParams;
use crate::quantize::export::Export;
use crate::train::record::{Builder, WeightedKernel};
use qat_int8::ops::{conv2d, QLayer};
use super::{Behaviour, FromInt8};

impl Behaviour for Conv2d {
    fn from_int8(op: &QLayer, s_in: f64) -> FromInt8 {
        let QLayer::Conv2d(conv2d::Conv2d { out_channels, kernel, stride, padding, activation, per_channel, weights, .. }) =
            op
        else {
            return None;
        };
        let (weight_scales, bias) = (&per_channel.weight_scales, &per_channel.bias);
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

    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let shape = b.shape(b.node_of(k).inputs[0]);
        let p = Conv2dParams::new(b.batch(), shape, self.filters, self.kernel, self.stride, self.padding)?;
        b.weighted(k, Box::new(p))
    }

    fn export(&self, x: &Export) -> Result<QLayer> {
        let q = x.weights()?;
        Ok(QLayer::Conv2d(conv2d::Conv2d {
            out_channels: self.filters,
            kernel: self.kernel,
            in_channels: x.in_shape[2],
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
