//! Trained network -> int8 model. Batch norm is folded exactly as the QAT forward folded it:
//! s = gamma / sqrt(moving_var + eps), weights w * s, bias beta - s * mean. Weights are then
//! quantized with the nudged grid and rounding the fake-quant forward used (`Nudged::index`), so
//! the int8 weights are the values training saw. Biases become int32 at scale
//! input_scale * weight_scale (round half away from zero, in f64); multipliers come from
//! `quant::multiplier::quantize_multiplier`; tensor quantization follows `quant::placement`.

use crate::export::model::{InputNorm, QLayer, QNode, QuantModel};
use crate::gpu::Gpu;
use crate::model::geometry;
use crate::model::{Layer, ModelSpec, Node};
use crate::ops::batch_norm::EPSILON;
use crate::quant::clamp::Clamp;
use crate::quant::fake_quant::{nudge, Grid, Nudged};
use crate::quant::multiplier::{quantize_multiplier, Rounding};
use crate::quant::params::TensorQuant;
use crate::quant::placement::{placement, OutputQuant};
use crate::quant::rounding::round_half_away_f64;
use crate::reference::f32::weight_range;
use crate::train::network::{HostParams, WeightQuant};
use crate::train::Network;
use crate::{QatError, Result};

/// Everything quantization needs, on the host.
#[derive(Debug, Clone)]
pub struct TrainedState {
    pub spec: ModelSpec,
    /// One entry per weighted node, in node order.
    pub params: Vec<HostParams>,
    /// [min, max] of the model input.
    pub input_range: [f32; 2],
    /// [min, max] of each node that observes its own output (`OutputQuant::Own`).
    pub output_ranges: Vec<Option<[f32; 2]>>,
    pub bits: u32,
    pub weight_quant: WeightQuant,
}

impl TrainedState {
    /// Reads the trained state back from the GPU.
    pub fn read(gpu: &Gpu, net: &Network, bits: u32) -> Result<TrainedState> {
        let seen = |r: [f32; 3], what: &str| -> Result<[f32; 2]> {
            if r[2] == 0.0 {
                return Err(QatError::Invalid(format!(
                    "the {what} range was never observed: run at least one QAT step before export"
                )));
            }
            Ok([r[0], r[1]])
        };
        let input = seen(net.read_range(gpu, &net.input_range)?, "input")?;
        let mut outputs = Vec::new();
        for (node, r) in net.spec.nodes.iter().zip(&net.output_ranges) {
            outputs.push(match r {
                Some(b) => Some(seen(net.read_range(gpu, b)?, &format!("{:?} output", node.name))?),
                None => None,
            });
        }
        Ok(TrainedState {
            spec: net.spec.clone(),
            params: net.read_params(gpu)?,
            input_range: input,
            output_ranges: outputs,
            bits,
            weight_quant: net.weight_quant,
        })
    }
}

fn tensor_quant(n: &Nudged) -> TensorQuant {
    TensorQuant { scale: n.scale, zero_point: n.signed_zero_point() }
}

fn bias_to_i32(b: f64, scale: f64) -> i32 {
    if scale <= 0.0 {
        return 0;
    }
    round_half_away_f64(b / scale).clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

/// Weights and biases with batch norm folded in, in f32 as the QAT forward computed them.
fn folded(p: &HostParams, g: &geometry::Weights) -> (Vec<f32>, Vec<f64>) {
    match &p.bn {
        None => (p.weight.clone(), p.bias.iter().map(|&b| b as f64).collect()),
        Some(bn) => {
            let s: Vec<f32> = (0..g.channels).map(|c| bn.gamma[c] / (bn.moving_var[c] + EPSILON).sqrt()).collect();
            let w = p.weight.iter().enumerate().map(|(i, &w)| w * s[(i / g.inner) % g.channels]).collect();
            let b = (0..g.channels).map(|c| bn.beta[c] as f64 - s[c] as f64 * bn.moving_mean[c] as f64).collect();
            (w, b)
        }
    }
}

/// Quantized weights of a weighted layer: (int8 weights, scale per output channel).
fn quantize_weights(w: &[f32], g: &geometry::Weights, per_channel: bool, grid: Grid) -> (Vec<i8>, Vec<f32>) {
    let (groups, inner) = if per_channel { (g.channels, g.inner) } else { (1, w.len()) };
    let ranges = weight_range(w, groups, inner);
    let nudged: Vec<Nudged> = (0..groups).map(|c| nudge(ranges[2 * c], ranges[2 * c + 1], grid)).collect();
    let q = w.iter().enumerate().map(|(i, &v)| nudged[(i / inner) % groups].index(v) as i8).collect();
    let scales = (0..g.channels).map(|c| nudged[if per_channel { c } else { 0 }].scale).collect();
    (q, scales)
}

/// Builds the int8 model from a trained state.
pub fn quantize(state: &TrainedState) -> Result<QuantModel> {
    if state.bits != 8 {
        return Err(QatError::Invalid(format!(
            "the int8 export needs 8-bit training (trained with {} bits)",
            state.bits
        )));
    }
    let act = Grid::activation(state.bits);
    let wgrid = Grid::weight(state.bits);
    let spec = &state.spec;
    let shapes = spec.shapes()?;
    let place = placement(spec)?;
    let own =
        |k: usize| -> Result<TensorQuant> {
            let r =
                state.output_ranges.get(k).copied().flatten().ok_or_else(|| {
                    QatError::Invalid(format!("layer {:?} has no observed range", spec.nodes[k].name))
                })?;
            Ok(tensor_quant(&nudge(r[0], r[1], act)))
        };
    let mut quants = vec![tensor_quant(&nudge(state.input_range[0], state.input_range[1], act))];
    let mut params = state.params.iter();
    let mut nodes = Vec::new();
    for (k, node) in spec.nodes.iter().enumerate() {
        let input = node.inputs[0];
        let s_in = quants[input].scale;
        let out = match place[k] {
            OutputQuant::Own => own(k)?,
            OutputQuant::Deferred(c) => own(c)?,
            OutputQuant::SameAsInput | OutputQuant::InputRange => quants[input],
        };
        let clamp = Clamp::fused(node.layer.activation(), out);
        let in_shape = spec.tensor_shape(&shapes, input);
        let weighted = geometry::weights(&node.layer, in_shape);
        let op = match (&node.layer, weighted) {
            (Layer::Conv2d { .. } | Layer::DepthwiseConv2d { .. } | Layer::Dense { .. }, Some(g)) => {
                let p = params
                    .next()
                    .ok_or_else(|| QatError::Invalid(format!("layer {:?} has no trained parameters", node.name)))?;
                let (w, b) = folded(p, &g);
                let per_channel =
                    state.weight_quant == WeightQuant::PerChannel && !matches!(node.layer, Layer::Dense { .. });
                let (weights, weight_scales) = quantize_weights(&w, &g, per_channel, wgrid);
                let bias: Vec<i32> =
                    (0..g.channels).map(|c| bias_to_i32(b[c], s_in as f64 * weight_scales[c] as f64)).collect();
                let multipliers = weight_scales
                    .iter()
                    .map(|&s| quantize_multiplier(s_in as f64 * s as f64 / out.scale as f64))
                    .collect();
                match node.layer {
                    Layer::Conv2d { filters, kernel, stride, padding, activation, .. } => QLayer::Conv2d {
                        out_channels: filters,
                        kernel,
                        in_channels: in_shape[2],
                        stride,
                        padding,
                        activation,
                        weight_scales,
                        multipliers,
                        bias,
                        weights,
                        output: out,
                        clamp,
                    },
                    Layer::DepthwiseConv2d { kernel, stride, padding, activation, .. } => QLayer::DepthwiseConv2d {
                        channels: in_shape[2],
                        kernel,
                        stride,
                        padding,
                        activation,
                        weight_scales,
                        multipliers,
                        bias,
                        weights,
                        output: out,
                        clamp,
                    },
                    Layer::Dense { units, activation } => QLayer::FullyConnected {
                        units,
                        inputs: in_shape.iter().product(),
                        activation,
                        weight_scale: weight_scales[0],
                        bias,
                        weights,
                        output: out,
                        clamp,
                    },
                    _ => unreachable!("matched above"),
                }
            }
            (Layer::MaxPool { size, stride }, _) => QLayer::MaxPool { size: *size, stride: *stride },
            (Layer::AvgPool { size, stride, padding }, _) => {
                QLayer::AvgPool { size: *size, stride: *stride, padding: *padding }
            }
            (Layer::GlobalAvgPool, _) => QLayer::Mean { output: out },
            (Layer::Flatten, _) => QLayer::Flatten,
            (Layer::Add { activation }, _) => QLayer::Add { activation: *activation, output: out, clamp },
            (Layer::Concat, _) => QLayer::Concat,
            (l, None) => {
                return Err(QatError::Invalid(format!(
                    "layer {:?} ({}) has no weight geometry",
                    node.name,
                    l.op_name()
                )))
            }
        };
        quants.push(out);
        nodes.push(QNode { name: node.name.clone(), inputs: node.inputs.clone(), op });
    }
    Ok(QuantModel {
        rounding: Rounding::DoubleRounding,
        input_shape: spec.input,
        input_quant: quants[0],
        input_norm: InputNorm::unit(spec.input[2]),
        nodes,
    })
}

/// The float model an int8 model stands for: the folded graph (no batch norm) with dequantized
/// weights and biases, and activation ranges equal to each tensor's representable range.
/// `verify` runs this through the GPU fake-quant forward to compare it with the int8 interpreter.
pub fn dequantize(model: &QuantModel) -> Result<TrainedState> {
    // The GPU forward feeds pixel / 255, the normalization of every model trained here.
    if !model.input_norm.is_unit() {
        return Err(QatError::Invalid(format!(
            "the model's input normalization (mean {:?}, std {:?}) is not pixel / 255, which the GPU forward assumes",
            model.input_norm.mean, model.input_norm.std
        )));
    }
    let range = |t: &TensorQuant| [(-128 - t.zero_point) as f32 * t.scale, (127 - t.zero_point) as f32 * t.scale];
    let quants = model.tensor_quants();
    let mut nodes = Vec::new();
    let mut params = Vec::new();
    for n in &model.nodes {
        let s_in = quants[n.inputs[0]].scale as f64;
        let (layer, host) = match &n.op {
            QLayer::Conv2d {
                out_channels, kernel, stride, padding, activation, weight_scales, bias, weights, ..
            } => {
                let inner = weights.len() / (*out_channels as usize).max(1);
                (
                    Layer::Conv2d {
                        filters: *out_channels,
                        kernel: *kernel,
                        stride: *stride,
                        padding: *padding,
                        batch_norm: false,
                        activation: *activation,
                    },
                    Some(HostParams {
                        weight: weights.iter().enumerate().map(|(k, &q)| q as f32 * weight_scales[k / inner]).collect(),
                        bias: bias
                            .iter()
                            .zip(weight_scales)
                            .map(|(&b, &s)| (b as f64 * s_in * s as f64) as f32)
                            .collect(),
                        bn: None,
                    }),
                )
            }
            QLayer::DepthwiseConv2d {
                channels,
                kernel,
                stride,
                padding,
                activation,
                weight_scales,
                bias,
                weights,
                ..
            } => (
                Layer::DepthwiseConv2d {
                    kernel: *kernel,
                    stride: *stride,
                    padding: *padding,
                    batch_norm: false,
                    activation: *activation,
                },
                Some(HostParams {
                    weight: weights
                        .iter()
                        .enumerate()
                        .map(|(k, &q)| q as f32 * weight_scales[k % *channels as usize])
                        .collect(),
                    bias: bias.iter().zip(weight_scales).map(|(&b, &s)| (b as f64 * s_in * s as f64) as f32).collect(),
                    bn: None,
                }),
            ),
            QLayer::FullyConnected { units, activation, weight_scale, bias, weights, .. } => (
                Layer::Dense { units: *units, activation: *activation },
                Some(HostParams {
                    weight: weights.iter().map(|&q| q as f32 * weight_scale).collect(),
                    bias: bias.iter().map(|&b| (b as f64 * s_in * *weight_scale as f64) as f32).collect(),
                    bn: None,
                }),
            ),
            QLayer::MaxPool { size, stride } => (Layer::MaxPool { size: *size, stride: *stride }, None),
            QLayer::AvgPool { size, stride, padding } => {
                (Layer::AvgPool { size: *size, stride: *stride, padding: *padding }, None)
            }
            QLayer::Mean { .. } => (Layer::GlobalAvgPool, None),
            QLayer::Flatten => (Layer::Flatten, None),
            QLayer::Add { activation, .. } => (Layer::Add { activation: *activation }, None),
            QLayer::Concat => (Layer::Concat, None),
        };
        params.extend(host);
        nodes.push(Node { name: n.name.clone(), layer, inputs: n.inputs.clone() });
    }
    let spec = ModelSpec { name: "from-file".into(), input: model.input_shape, nodes };
    let place = placement(&spec)?;
    let output_ranges =
        place.iter().enumerate().map(|(k, p)| matches!(p, OutputQuant::Own).then(|| range(&quants[k + 1]))).collect();
    // A model quantized per tensor has equal scales in every channel of every layer.
    let per_tensor = model.nodes.iter().all(|n| match &n.op {
        QLayer::Conv2d { weight_scales, .. } | QLayer::DepthwiseConv2d { weight_scales, .. } => {
            weight_scales.windows(2).all(|w| w[0] == w[1])
        }
        _ => true,
    });
    let weight_quant = if per_tensor { WeightQuant::PerTensor } else { WeightQuant::PerChannel };
    Ok(TrainedState { spec, params, input_range: range(&model.input_quant), output_ranges, bits: 8, weight_quant })
}
