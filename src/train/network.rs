//! The network's state on the GPU. Per weighted node: float weights and bias with their Adam
//! moments, the weight range(s), and for layers followed by batch norm the BN parameters
//! [gamma, beta] (with Adam moments), moving statistics [mean, var] per channel and the fold
//! scales used during QAT. Per tensor that fake quant observes (see `model::placement`): an
//! activation range `[min, max, seen]`.

use crate::data::rng::Rng;
use crate::gpu::Gpu;
use crate::model::geometry::Weights;
use crate::model::params::{HostBn, HostParams};
use crate::model::placement::{placement, OutputQuant};
use crate::model::spec::ModelSpec;
use crate::ops::observer::ACTIVATION_RANGE_WORDS;
use crate::{QatError, Result};

/// How weights are grouped for fake quant: per output channel (tfmot's default for conv and
/// depthwise) or one range per tensor. Dense layers are always per tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightQuant {
    #[default]
    /// One scale per output channel (TFLite's default for conv and depthwise).
    PerChannel,
    /// One scale per weight tensor.
    PerTensor,
}

/// Batch-norm state of one layer.
pub struct BnState {
    /// Channels.
    pub channels: usize,
    /// [gamma (C), beta (C)] and its Adam moments.
    pub affine: wgpu::Buffer,
    /// Adam's first moment of `affine`.
    pub affine_m: wgpu::Buffer,
    /// Adam's second moment of `affine`.
    pub affine_v: wgpu::Buffer,
    /// [mean, var] per channel.
    pub moving: wgpu::Buffer,
    /// gamma / sqrt(moving_var + eps) and its inverse, refreshed by each QAT forward.
    pub scale: wgpu::Buffer,
    /// 1 / scale.
    pub inv_scale: wgpu::Buffer,
}

/// Trainable state of one conv, depthwise or dense node.
pub struct Params {
    /// The node's index.
    pub node: usize,
    /// Its parameter geometry.
    pub geometry: Weights,
    /// The float weights.
    pub weight: wgpu::Buffer,
    /// Adam's first moment of the weights.
    pub weight_m: wgpu::Buffer,
    /// Adam's second moment of the weights.
    pub weight_v: wgpu::Buffer,
    /// Bias (`geometry.bias_len` values; zeros of `channels` when batch norm replaces it).
    pub bias: wgpu::Buffer,
    /// Adam's first moment of the bias.
    pub bias_m: wgpu::Buffer,
    /// Adam's second moment of the bias.
    pub bias_v: wgpu::Buffer,
    /// [-max|w|, max|w|] per range group, refreshed by every fake-quant forward.
    pub weight_range: wgpu::Buffer,
    /// Number of weight ranges: `geometry.channels` per channel, 1 per tensor.
    pub range_channels: usize,
    /// The batch norm after the layer, if any.
    pub bn: Option<BnState>,
}

impl Params {
    /// (groups, inner) of the weight ranges: element i uses range (i / inner) % groups.
    pub fn range_layout(&self) -> (usize, usize) {
        if self.range_channels == 1 {
            (1, self.geometry.weight_len)
        } else {
            (self.geometry.channels, self.geometry.inner)
        }
    }
}

/// A model's trainable state on the GPU.
pub struct Network {
    /// The model.
    pub spec: ModelSpec,
    /// Output shape of every node.
    pub shapes: Vec<[u32; 3]>,
    /// How each node's output is quantized (`model::placement`).
    pub placement: Vec<OutputQuant>,
    /// One entry per weighted node, in node order.
    pub params: Vec<Params>,
    /// [min, max, seen] of the model input.
    pub input_range: wgpu::Buffer,
    /// Activation range of each node that observes its own output.
    pub output_ranges: Vec<Option<wgpu::Buffer>>,
    /// Per-channel or per-tensor weights.
    pub weight_quant: WeightQuant,
    /// How pixels become the input (the data set's normalization; exported with the model).
    pub input_norm: qat_int8::model::InputNorm,
}

/// The parameters training starts from, one entry per weighted node: Glorot-uniform weights,
/// zero biases, gamma 1, beta 0, moving mean 0 and variance 1 (Keras's defaults), seeded.
pub fn initial_params(spec: &ModelSpec, seed: u64) -> Result<Vec<HostParams>> {
    let shapes = spec.shapes()?;
    let mut rng = Rng::new(seed);
    let mut host = Vec::new();
    for node in &spec.nodes {
        if let Some(g) = node.layer.kind().weights(spec.tensor_shape(&shapes, node.inputs[0])) {
            let limit = (6.0 / (g.fan_in + g.fan_out) as f32).sqrt();
            let weight = (0..g.weight_len).map(|_| rng.uniform(-limit, limit)).collect();
            let c = g.bn_channels;
            let bn = (c > 0).then(|| HostBn {
                gamma: vec![1.0; c],
                beta: vec![0.0; c],
                moving_mean: vec![0.0; c],
                moving_var: vec![1.0; c],
            });
            host.push(HostParams { weight, bias: vec![0.0; g.bias_len], bn });
        }
    }
    Ok(host)
}

impl Network {
    /// A network at the start of training: `initial_params(spec, seed)` on the GPU.
    pub fn init(gpu: &Gpu, spec: &ModelSpec, seed: u64, weight_quant: WeightQuant) -> Result<Network> {
        Self::with_params(gpu, spec, &initial_params(spec, seed)?, weight_quant)
    }

    /// A network holding the given parameters (one entry per weighted node), fresh optimizer
    /// state and unobserved activation ranges.
    pub fn with_params(gpu: &Gpu, spec: &ModelSpec, host: &[HostParams], weight_quant: WeightQuant) -> Result<Network> {
        let shapes = spec.shapes()?;
        let placement = placement(spec)?;
        let mut params = Vec::new();
        let mut it = host.iter();
        for (k, node) in spec.nodes.iter().enumerate() {
            let Some(g) = node.layer.kind().weights(spec.tensor_shape(&shapes, node.inputs[0])) else { continue };
            let hp =
                it.next().ok_or_else(|| QatError::Invalid(format!("no parameters given for layer {:?}", node.name)))?;
            let bn_ok = match (&hp.bn, g.bn_channels) {
                (None, 0) => true,
                (Some(b), c) => {
                    c > 0 && [&b.gamma, &b.beta, &b.moving_mean, &b.moving_var].iter().all(|v| v.len() == c)
                }
                _ => false,
            };
            if hp.weight.len() != g.weight_len || hp.bias.len() != g.bias_len || !bn_ok {
                return Err(QatError::Shape {
                    layer: k,
                    op: node.layer.op_name(),
                    detail: format!(
                        "{:?}: expected {} weights, {} biases and {} batch-norm channels",
                        node.name, g.weight_len, g.bias_len, g.bn_channels
                    ),
                });
            }
            gpu.buffer_context(format!("layer {k} {:?} ({}), parameters", node.name, node.layer.op_name()));
            let per_channel = weight_quant == WeightQuant::PerChannel && node.layer.kind().per_channel_weights();
            let range_channels = if per_channel { g.channels } else { 1 };
            // With batch norm the conv has no bias of its own: bind zeros.
            let bias: Vec<f32> = if g.bn_channels > 0 { vec![0.0; g.channels] } else { hp.bias.clone() };
            let bn = hp.bn.as_ref().map(|b| {
                let c = g.bn_channels;
                let affine: Vec<f32> = b.gamma.iter().chain(&b.beta).copied().collect();
                let moving: Vec<f32> = (0..c).flat_map(|i| [b.moving_mean[i], b.moving_var[i]]).collect();
                BnState {
                    channels: c,
                    affine: gpu.upload("bn affine", &affine),
                    affine_m: gpu.storage("adam m", 2 * c),
                    affine_v: gpu.storage("adam v", 2 * c),
                    moving: gpu.upload("bn moving", &moving),
                    scale: gpu.storage("bn fold scale", c),
                    inv_scale: gpu.storage("bn fold inverse scale", c),
                }
            });
            params.push(Params {
                node: k,
                geometry: g,
                weight: gpu.upload("weight", &hp.weight),
                weight_m: gpu.storage("adam m", g.weight_len),
                weight_v: gpu.storage("adam v", g.weight_len),
                bias: gpu.upload("bias", &bias),
                bias_m: gpu.storage("adam m", bias.len()),
                bias_v: gpu.storage("adam v", bias.len()),
                weight_range: gpu.storage("weight range", 2 * range_channels),
                range_channels,
                bn,
            });
        }
        gpu.buffer_context("");
        gpu.check()?;
        let output_ranges = placement
            .iter()
            .map(|p| matches!(p, OutputQuant::Own).then(|| gpu.storage("activation range", ACTIVATION_RANGE_WORDS)))
            .collect();
        Ok(Network {
            spec: spec.clone(),
            shapes,
            placement,
            params,
            input_range: gpu.storage("input range", ACTIVATION_RANGE_WORDS),
            output_ranges,
            weight_quant,
            input_norm: qat_int8::model::InputNorm::unit(spec.input[2]),
        })
    }

    /// Shape of tensor `t` (0: the model input).
    pub fn tensor_shape(&self, t: usize) -> [u32; 3] {
        self.spec.tensor_shape(&self.shapes, t)
    }

    /// Index into `params` of node `k`'s parameters.
    pub fn param_index(&self, k: usize) -> Option<usize> {
        self.params.iter().position(|p| p.node == k)
    }

    /// The range buffer fake quant uses for tensor `t`, following the placement rules.
    pub fn tensor_range(&self, t: usize) -> Option<wgpu::Buffer> {
        if t == 0 {
            return Some(self.input_range.clone());
        }
        let k = t - 1;
        match self.placement[k] {
            OutputQuant::Own => self.output_ranges[k].clone(),
            OutputQuant::Deferred(c) => self.output_ranges[c].clone(),
            OutputQuant::SameAsInput | OutputQuant::InputRange => self.tensor_range(self.spec.nodes[k].inputs[0]),
        }
    }

    /// Reads all parameters back.
    pub fn read_params(&self, gpu: &Gpu) -> Result<Vec<HostParams>> {
        self.params
            .iter()
            .map(|p| {
                let g = p.geometry;
                let bn = match &p.bn {
                    Some(b) => {
                        let affine: Vec<f32> = gpu.read(&b.affine, 2 * b.channels)?;
                        let moving: Vec<f32> = gpu.read(&b.moving, 2 * b.channels)?;
                        Some(HostBn {
                            gamma: affine[..b.channels].to_vec(),
                            beta: affine[b.channels..].to_vec(),
                            moving_mean: moving.iter().step_by(2).copied().collect(),
                            moving_var: moving.iter().skip(1).step_by(2).copied().collect(),
                        })
                    }
                    None => None,
                };
                Ok(HostParams { weight: gpu.read(&p.weight, g.weight_len)?, bias: gpu.read(&p.bias, g.bias_len)?, bn })
            })
            .collect()
    }

    /// Every buffer that carries state from one training step to the next, with a name that is
    /// stable across runs of the same model: per weighted layer its weights, bias, their Adam
    /// moments, the weight range and the batch-norm state; the input and activation ranges. A
    /// checkpoint is these buffers, whole.
    pub fn state_buffers(&self) -> Vec<(String, &wgpu::Buffer)> {
        let mut out = Vec::new();
        for p in &self.params {
            let name = &self.spec.nodes[p.node].name;
            for (what, b) in [
                ("weight", &p.weight),
                ("weight_m", &p.weight_m),
                ("weight_v", &p.weight_v),
                ("bias", &p.bias),
                ("bias_m", &p.bias_m),
                ("bias_v", &p.bias_v),
                ("weight_range", &p.weight_range),
            ] {
                out.push((format!("{name}.{what}"), b));
            }
            if let Some(bn) = &p.bn {
                for (what, b) in [
                    ("affine", &bn.affine),
                    ("affine_m", &bn.affine_m),
                    ("affine_v", &bn.affine_v),
                    ("moving", &bn.moving),
                    ("scale", &bn.scale),
                    ("inv_scale", &bn.inv_scale),
                ] {
                    out.push((format!("{name}.bn.{what}"), b));
                }
            }
        }
        out.push(("input.range".into(), &self.input_range));
        for (node, r) in self.spec.nodes.iter().zip(&self.output_ranges) {
            if let Some(b) = r {
                out.push((format!("{}.range", node.name), b));
            }
        }
        out
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
