//! The network's state on the GPU: per weighted layer the float weights and bias with their Adam
//! moments and the per-channel weight range; per tensor that gets fake quant (the input and the
//! output of every conv/dense) an activation range `[min, max, seen]`.

use crate::data::rng::Rng;
use crate::gpu::Gpu;
use crate::model::{Layer, ModelSpec};
use crate::ops::observer::ACTIVATION_RANGE_WORDS;
use crate::Result;

/// Trainable parameters of one conv or dense layer.
pub struct Params {
    pub layer: usize,
    pub weight: wgpu::Buffer,
    pub bias: wgpu::Buffer,
    pub weight_m: wgpu::Buffer,
    pub weight_v: wgpu::Buffer,
    pub bias_m: wgpu::Buffer,
    pub bias_v: wgpu::Buffer,
    /// [-max|w|, max|w|] per channel, refreshed by every fake-quant forward.
    pub weight_range: wgpu::Buffer,
    pub weight_len: usize,
    pub bias_len: usize,
    /// Number of weight ranges: output channels when per-channel, else 1.
    pub range_channels: usize,
}

pub struct Network {
    pub spec: ModelSpec,
    pub shapes: Vec<[u32; 3]>,
    /// One entry per layer with weights, in layer order.
    pub params: Vec<Params>,
    pub input_range: wgpu::Buffer,
    /// Output activation range of each layer (Some for conv and dense).
    pub output_ranges: Vec<Option<wgpu::Buffer>>,
}

/// Host copy of a layer's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct HostParams {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// Weight shape facts for a weighted layer: (weight_len, bias_len, fan_in, fan_out, per-channel ranges).
fn weight_geometry(layer: &Layer, input: [u32; 3]) -> Option<(usize, usize, usize, usize, usize)> {
    match *layer {
        Layer::Conv2d { filters, kernel, .. } => {
            let k = (kernel[0] * kernel[1]) as usize;
            let (o, c) = (filters as usize, input[2] as usize);
            // tfmot: conv weights per output channel.
            Some((o * k * c, o, k * c, k * o, o))
        }
        Layer::Dense { units, .. } => {
            let (o, i) = (units as usize, (input[0] * input[1] * input[2]) as usize);
            // tfmot: dense weights per tensor.
            Some((o * i, o, i, o, 1))
        }
        _ => None,
    }
}

impl Network {
    /// Glorot-uniform weights and zero biases (Keras's defaults), seeded.
    pub fn init(gpu: &Gpu, spec: &ModelSpec, seed: u64) -> Result<Network> {
        let shapes = spec.shapes()?;
        let mut rng = Rng::new(seed);
        let mut host = Vec::new();
        let mut input = spec.input;
        for (layer, shape) in spec.layers.iter().zip(&shapes) {
            if let Some((wl, bl, fan_in, fan_out, _)) = weight_geometry(layer, input) {
                let limit = (6.0 / (fan_in + fan_out) as f32).sqrt();
                let weight = (0..wl).map(|_| rng.uniform(-limit, limit)).collect();
                host.push(HostParams { weight, bias: vec![0.0; bl] });
            }
            input = *shape;
        }
        Self::with_params(gpu, spec, &host)
    }

    /// A network holding the given parameters (one entry per weighted layer), fresh optimizer
    /// state and unobserved activation ranges.
    pub fn with_params(gpu: &Gpu, spec: &ModelSpec, host: &[HostParams]) -> Result<Network> {
        let shapes = spec.shapes()?;
        let mut params = Vec::new();
        let mut output_ranges = Vec::new();
        let mut input = spec.input;
        let mut it = host.iter();
        for (i, (layer, shape)) in spec.layers.iter().zip(&shapes).enumerate() {
            if let Some((wl, bl, _, _, range_channels)) = weight_geometry(layer, input) {
                let hp = it.next().ok_or_else(|| crate::QatError::Invalid(format!("no parameters given for layer {i}")))?;
                if hp.weight.len() != wl || hp.bias.len() != bl {
                    return Err(crate::QatError::Shape {
                        layer: i,
                        op: layer.op_name(),
                        detail: format!("expected {wl} weights and {bl} biases, got {} and {}", hp.weight.len(), hp.bias.len()),
                    });
                }
                params.push(Params {
                    layer: i,
                    weight: gpu.upload("weight", &hp.weight),
                    bias: gpu.upload("bias", &hp.bias),
                    weight_m: gpu.storage("adam m", wl),
                    weight_v: gpu.storage("adam v", wl),
                    bias_m: gpu.storage("adam m", bl),
                    bias_v: gpu.storage("adam v", bl),
                    weight_range: gpu.storage("weight range", 2 * range_channels),
                    weight_len: wl,
                    bias_len: bl,
                    range_channels,
                });
                output_ranges.push(Some(gpu.storage("activation range", ACTIVATION_RANGE_WORDS)));
            } else {
                output_ranges.push(None);
            }
            input = *shape;
        }
        Ok(Network {
            spec: spec.clone(),
            shapes,
            params,
            input_range: gpu.storage("input range", ACTIVATION_RANGE_WORDS),
            output_ranges,
        })
    }

    /// Input shape of layer `i`.
    pub fn input_shape(&self, i: usize) -> [u32; 3] {
        if i == 0 { self.spec.input } else { self.shapes[i - 1] }
    }

    /// Parameters of layer `i`, if it has any.
    pub fn params_of(&self, i: usize) -> Option<&Params> {
        self.params.iter().find(|p| p.layer == i)
    }

    /// Reads all parameters back.
    pub fn read_params(&self, gpu: &Gpu) -> Result<Vec<HostParams>> {
        self.params
            .iter()
            .map(|p| Ok(HostParams { weight: gpu.read(&p.weight, p.weight_len)?, bias: gpu.read(&p.bias, p.bias_len)? }))
            .collect()
    }

    /// Reads an activation range `[min, max, seen]`.
    pub fn read_range(&self, gpu: &Gpu, buffer: &wgpu::Buffer) -> Result<[f32; 3]> {
        let v: Vec<f32> = gpu.read(buffer, ACTIVATION_RANGE_WORDS)?;
        Ok([v[0], v[1], v[2]])
    }

    /// Sets an activation range (marked as seen).
    pub fn write_range(&self, gpu: &Gpu, buffer: &wgpu::Buffer, min: f32, max: f32) {
        gpu.queue.write_buffer(buffer, 0, bytemuck::cast_slice(&[min, max, 1.0f32]));
    }
}
