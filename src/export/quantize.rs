//! Trained network -> int8 model. Weights are quantized with the same nudged grid and rounding
//! the fake-quant forward used (`Nudged::index`), so the int8 weights are exactly the values
//! training saw. Biases become int32 at scale input_scale * weight_scale (round half away from
//! zero, in f64); multipliers come from `quant::multiplier::quantize_multiplier`.

use crate::export::model::{Clamp, QLayer, QuantModel};
use crate::gpu::Gpu;
use crate::model::{Layer, ModelSpec};
use crate::quant::clamp::Activation;
use crate::quant::fake_quant::{nudge, Grid, Nudged};
use crate::quant::multiplier::{quantize_multiplier, Rounding};
use crate::quant::params::TensorQuant;
use crate::quant::rounding::round_half_away_f64;
use crate::reference::f32::weight_range;
use crate::train::network::HostParams;
use crate::train::Network;
use crate::{QatError, Result};

/// Everything quantization needs, on the host.
#[derive(Debug, Clone)]
pub struct TrainedState {
    pub spec: ModelSpec,
    pub params: Vec<HostParams>,
    /// [min, max] of the model input.
    pub input_range: [f32; 2],
    /// [min, max] of each layer's output where the layer has one (conv, dense).
    pub output_ranges: Vec<Option<[f32; 2]>>,
    pub bits: u32,
}

impl TrainedState {
    /// Reads the trained state back from the GPU.
    pub fn read(gpu: &Gpu, net: &Network, bits: u32) -> Result<TrainedState> {
        let seen = |r: [f32; 3], what: &str| -> Result<[f32; 2]> {
            if r[2] == 0.0 {
                return Err(QatError::Invalid(format!("the {what} range was never observed: run at least one QAT step before export")));
            }
            Ok([r[0], r[1]])
        };
        let input = seen(net.read_range(gpu, &net.input_range)?, "input")?;
        let mut outputs = Vec::new();
        for (i, r) in net.output_ranges.iter().enumerate() {
            outputs.push(match r {
                Some(b) => Some(seen(net.read_range(gpu, b)?, &format!("layer {i} output"))?),
                None => None,
            });
        }
        Ok(TrainedState { spec: net.spec.clone(), params: net.read_params(gpu)?, input_range: input, output_ranges: outputs, bits })
    }
}

fn tensor_quant(n: &Nudged) -> TensorQuant {
    TensorQuant { scale: n.scale, zero_point: n.signed_zero_point() }
}

fn relu_clamp(relu: bool, out: &TensorQuant) -> Clamp {
    Clamp::fused(if relu { Activation::Relu } else { Activation::None }, *out)
}

fn bias_to_i32(b: f32, scale: f64) -> i32 {
    if scale <= 0.0 {
        return 0;
    }
    round_half_away_f64(b as f64 / scale).clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

/// Builds the int8 model from a trained state.
pub fn quantize(state: &TrainedState) -> Result<QuantModel> {
    if state.bits != 8 {
        return Err(QatError::Invalid(format!("export supports 8-bit models only (got {} bits)", state.bits)));
    }
    let act = Grid::activation(state.bits);
    let wgrid = Grid::weight(state.bits);
    let spec = &state.spec;
    let shapes = spec.shapes()?;
    let input_n = nudge(state.input_range[0], state.input_range[1], act);
    let mut cur = tensor_quant(&input_n);
    let mut layers = Vec::new();
    let mut params = state.params.iter();
    for (i, layer) in spec.layers.iter().enumerate() {
        let input = if i == 0 { spec.input } else { shapes[i - 1] };
        let missing = || QatError::Invalid(format!("layer {i} ({}) has no trained parameters or range", layer.op_name()));
        let q = match *layer {
            Layer::Conv2d { filters, kernel, stride, padding, relu } => {
                let p = params.next().ok_or_else(missing)?;
                let r = state.output_ranges.get(i).copied().flatten().ok_or_else(missing)?;
                let out = tensor_quant(&nudge(r[0], r[1], act));
                let o = filters as usize;
                let inner = p.weight.len() / o;
                let ranges = weight_range(&p.weight, o, inner);
                let nudged: Vec<Nudged> = (0..o).map(|c| nudge(ranges[2 * c], ranges[2 * c + 1], wgrid)).collect();
                let weights = p.weight.iter().enumerate().map(|(k, &w)| nudged[k / inner].index(w) as i8).collect();
                let weight_scales: Vec<f32> = nudged.iter().map(|n| n.scale).collect();
                let bias = (0..o).map(|c| bias_to_i32(p.bias[c], cur.scale as f64 * weight_scales[c] as f64)).collect();
                let multipliers = weight_scales
                    .iter()
                    .map(|&s| quantize_multiplier(cur.scale as f64 * s as f64 / out.scale as f64))
                    .collect();
                cur = out;
                QLayer::Conv2d {
                    out_channels: filters,
                    kernel,
                    in_channels: input[2],
                    stride,
                    padding,
                    relu,
                    weight_scales,
                    multipliers,
                    bias,
                    weights,
                    output: out,
                    clamp: relu_clamp(relu, &out),
                }
            }
            Layer::Dense { units, relu } => {
                let p = params.next().ok_or_else(missing)?;
                let r = state.output_ranges.get(i).copied().flatten().ok_or_else(missing)?;
                let out = tensor_quant(&nudge(r[0], r[1], act));
                let ranges = weight_range(&p.weight, 1, p.weight.len());
                let n = nudge(ranges[0], ranges[1], wgrid);
                let weights = p.weight.iter().map(|&w| n.index(w) as i8).collect();
                let bias = p.bias.iter().map(|&b| bias_to_i32(b, cur.scale as f64 * n.scale as f64)).collect();
                cur = out;
                QLayer::FullyConnected {
                    units,
                    inputs: input.iter().product(),
                    relu,
                    weight_scale: n.scale,
                    bias,
                    weights,
                    output: out,
                    clamp: relu_clamp(relu, &out),
                }
            }
            Layer::MaxPool { size, stride } => QLayer::MaxPool { size, stride },
            Layer::Flatten => QLayer::Flatten,
        };
        layers.push(q);
    }
    Ok(QuantModel {
        rounding: Rounding::DoubleRounding,
        input_shape: spec.input,
        input_quant: tensor_quant(&input_n),
        layers,
    })
}

/// The float model an int8 model stands for: dequantized weights and biases, and activation
/// ranges equal to each tensor's representable range. `verify` runs this through the GPU
/// fake-quant forward to compare it with the int8 interpreter.
pub fn dequantize(model: &QuantModel) -> Result<TrainedState> {
    let range = |t: &crate::quant::params::TensorQuant| [(-128 - t.zero_point) as f32 * t.scale, (127 - t.zero_point) as f32 * t.scale];
    let mut layers = Vec::new();
    let mut params = Vec::new();
    let mut output_ranges = Vec::new();
    let mut cur = model.input_quant;
    for l in &model.layers {
        match l {
            QLayer::Conv2d { out_channels, kernel, stride, padding, relu, weight_scales, bias, weights, output, .. } => {
                let inner = weights.len() / (*out_channels as usize).max(1);
                params.push(HostParams {
                    weight: weights.iter().enumerate().map(|(k, &q)| q as f32 * weight_scales[k / inner]).collect(),
                    bias: bias.iter().zip(weight_scales).map(|(&b, &s)| (b as f64 * cur.scale as f64 * s as f64) as f32).collect(),
                });
                layers.push(Layer::Conv2d { filters: *out_channels, kernel: *kernel, stride: *stride, padding: *padding, relu: *relu });
                output_ranges.push(Some(range(output)));
                cur = *output;
            }
            QLayer::FullyConnected { units, relu, weight_scale, bias, weights, output, .. } => {
                params.push(HostParams {
                    weight: weights.iter().map(|&q| q as f32 * weight_scale).collect(),
                    bias: bias.iter().map(|&b| (b as f64 * cur.scale as f64 * *weight_scale as f64) as f32).collect(),
                });
                layers.push(Layer::Dense { units: *units, relu: *relu });
                output_ranges.push(Some(range(output)));
                cur = *output;
            }
            QLayer::MaxPool { size, stride } => {
                layers.push(Layer::MaxPool { size: *size, stride: *stride });
                output_ranges.push(None);
            }
            QLayer::Flatten => {
                layers.push(Layer::Flatten);
                output_ranges.push(None);
            }
        }
    }
    let spec = ModelSpec { name: "from-file".into(), input: model.input_shape, layers };
    Ok(TrainedState { spec, params, input_range: range(&model.input_quant), output_ranges, bits: 8 })
}
