//! The training and export of Dense layers (`model::kinds::dense` describes them).

use crate::Result;
use crate::gpu::{dispatch::Dispatch, Gpu};
use crate::model::kinds::dense::Dense;
use crate::model::kinds::Layer;
use crate::model::params::HostParams;
use crate::ops::dense::DenseShape;
use crate::ops::reduce::ColumnSumParams;
use crate::quantize::export::Export;
use crate::train::record::{Builder, WeightedKernel};
use qat_int8::ops::{fully_connected::FullyConnected, QLayer};
use super::{Behaviour, FromInt8};

impl Behaviour for Dense {
    fn from_int8(op: &QLayer, s_in: f64) -> FromInt8 {
        let QLayer::FullyConnected(FullyConnected { units, activation, weight_scale, bias, weights, .. }) = op else {
            return None;
        };
        let params = HostParams {
            weight: weights.iter().map(|&q| q as f32 * weight_scale).collect(),
            bias: bias.iter().map(|&b| (b as f64 * s_in * *weight_scale as f64) as f32).collect(),
            bn: None,
        };
        Some((Layer::Dense(Dense { units: *units, activation: *activation }), Some(params)))
    }

    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)> {
        let shape = b.shape(b.node_of(k).inputs[0]);
        b.weighted(k, Box::new(DenseShape { n: b.batch(), inputs: shape.iter().product(), outputs: self.units }))
    }

    fn export(&self, x: &Export) -> Result<QLayer> {
        let q = x.weights()?;
        Ok(QLayer::FullyConnected(FullyConnected {
            units: self.units,
            inputs: x.in_shape.iter().product(),
            activation: self.activation,
            weight_scale: q.per_channel.weight_scales[0],
            bias: q.per_channel.bias,
            weights: q.weights,
            output: x.output,
            clamp: x.clamp,
        }))
    }
}

impl WeightedKernel for DenseShape {
    fn output_len(&self) -> usize {
        (self.n * self.outputs) as usize
    }
    fn input_len(&self) -> usize {
        (self.n * self.inputs) as usize
    }
    fn rows_channels(&self) -> (u32, u32) {
        (self.n, self.outputs)
    }
    fn macs(&self) -> u64 {
        self.forward_params().flops() / 2
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
        Ok(vec![DenseShape::forward(self, gpu, x, w, b, y)?])
    }
    fn backward_input(&self, gpu: &Gpu, dy: &wgpu::Buffer, w: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch> {
        DenseShape::backward_input(self, gpu, dy, w, dx)
    }
    fn backward_weight(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) -> Result<Vec<Dispatch>> {
        let mut out = vec![DenseShape::backward_weight(self, gpu, x, dy, dw)?];
        if let Some(db) = db {
            let (rows, channels) = self.rows_channels();
            out.extend(ColumnSumParams::new(rows, channels).dispatch(gpu, dy, db)?);
        }
        Ok(out)
    }
}
