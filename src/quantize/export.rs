//! The export context: what a layer kind's `export` works from (`Export`: its node, shapes,
//! quantization and trained parameters) and the weights it quantizes for it
//! (`Export::weights`), and the trained state read back from the GPU (`TrainedState`).
//! Batch norm is folded exactly as the QAT forward folded it: s = gamma / sqrt(moving_var +
//! eps), weights w * s, bias beta - s * mean. Weights are quantized with the nudged grid and
//! rounding the fake-quant forward used (`Nudged::index`), so the int8 weights are the values
//! training saw; a channel whose int32 bias would not fit gets its weight range widened first
//! (`qat_int8::quant::bias_scale`, LiteRT's rule, which QAT's weight fake quant applies too).
//! Biases become int32 at scale input_scale * weight_scale (round half away from zero, in f64);
//! multipliers come from `qat_int8::quant::multiplier::quantize_multiplier`.

use crate::gpu::Gpu;
use crate::model::geometry;
use crate::model::params::HostParams;
use crate::model::spec::ModelSpec;
use crate::ops::batch_norm::EPSILON;
use crate::train::network::Network;
use crate::train::network::WeightQuant;
use crate::{QatError, Result};
use qat_int8::model::InputNorm;
use qat_int8::quant::bias_scale;
use qat_int8::quant::clamp::Clamp;
use qat_int8::quant::fake_quant::{nudge, Grid, Nudged};
use qat_int8::quant::multiplier::quantize_multiplier;
use qat_int8::quant::params::TensorQuant;
use qat_int8::quant::per_channel::PerChannel;
use qat_int8::quant::rounding::round_half_away_f64;

/// Everything quantization needs, on the host.
#[derive(Debug, Clone)]
pub struct TrainedState {
    /// The model.
    pub spec: ModelSpec,
    /// One entry per weighted node, in node order.
    pub params: Vec<HostParams>,
    /// [min, max] of the model input.
    pub input_range: [f32; 2],
    /// [min, max] of each node that observes its own output (`OutputQuant::Own`).
    pub output_ranges: Vec<Option<[f32; 2]>>,
    /// Bits of the fake-quant grids (8 for the int8 export).
    pub bits: u32,
    /// Per-channel or per-tensor conv and depthwise weights.
    pub weight_quant: WeightQuant,
    /// How pixels become the input (`InputNorm::unit` for pixel / 255).
    pub input_norm: InputNorm,
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
            input_norm: net.input_norm.clone(),
        })
    }
}

pub(crate) fn tensor_quant(n: &Nudged) -> TensorQuant {
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

/// Quantized weights of a weighted layer: (int8 weights, scale per output channel). The ranges
/// are widened where a channel's int32 bias (float `bias` on an input of scale `input_scale`)
/// needs it (`quant::bias_scale`, LiteRT's rule; QAT's weight fake quant widens them alike).
fn quantize_weights(
    w: &[f32],
    g: &geometry::Weights,
    per_channel: bool,
    grid: Grid,
    bias: &[f64],
    input_scale: f32,
) -> (Vec<i8>, Vec<f32>) {
    let (groups, inner) = if per_channel { (g.channels, g.inner) } else { (1, w.len()) };
    let mut ranges = qat_int8::quant::fake_quant::symmetric_ranges(w, groups, inner);
    let limit = bias_scale::bias_limit((w.len() / g.channels.max(1)) as u64);
    let half_steps = (grid.qmax - grid.qmin) as f32 / 2.0;
    for (c, &b) in bias.iter().enumerate().take(g.channels) {
        let r = if per_channel { c } else { 0 };
        let half = bias_scale::widened(ranges[2 * r + 1], b as f32, input_scale, limit, half_steps);
        ranges[2 * r] = -half;
        ranges[2 * r + 1] = half;
    }
    let nudged: Vec<Nudged> = (0..groups).map(|c| nudge(ranges[2 * c], ranges[2 * c + 1], grid)).collect();
    let q = w.iter().enumerate().map(|(i, &v)| nudged[(i / inner) % groups].index(v) as i8).collect();
    let scales = (0..g.channels).map(|c| nudged[if per_channel { c } else { 0 }].scale).collect();
    (q, scales)
}

/// What a layer kind's `export` works from: its node, shapes and quantization, and its trained
/// parameters (weighted kinds).
pub struct Export<'a> {
    /// The node's name.
    pub name: &'a str,
    /// The shape of its (first) input.
    pub in_shape: [u32; 3],
    /// The quantization of its (first) input.
    pub input: TensorQuant,
    /// The quantization of its output.
    pub output: TensorQuant,
    /// The clamp of its fused activation on the output grid.
    pub clamp: Clamp,
    pub(crate) params: Option<(&'a HostParams, geometry::Weights)>,
    pub(crate) per_channel: bool,
    pub(crate) grid: Grid,
}

/// A weighted layer's int8 weights and the integers derived from them.
pub struct QuantizedWeights {
    /// Int8 weights in the layer's layout.
    pub weights: Vec<i8>,
    /// Each output channel's weight scale (all equal when quantized per tensor), multiplier and
    /// int32 bias.
    pub per_channel: PerChannel,
}

impl Export<'_> {
    /// The layer's weights with batch norm folded, quantized (per channel where training was
    /// and the kind allows), its int32 biases and its multipliers.
    pub fn weights(&self) -> Result<QuantizedWeights> {
        let (p, g) =
            self.params.ok_or_else(|| QatError::Invalid(format!("layer {:?} has no trained parameters", self.name)))?;
        let (w, b) = folded(p, &g);
        let (weights, weight_scales) = quantize_weights(&w, &g, self.per_channel, self.grid, &b, self.input.scale);
        let s_in = self.input.scale as f64;
        let bias = (0..g.channels).map(|c| bias_to_i32(b[c], s_in * weight_scales[c] as f64)).collect();
        let multipliers =
            weight_scales.iter().map(|&s| quantize_multiplier(s_in * s as f64 / self.output.scale as f64)).collect();
        Ok(QuantizedWeights { weights, per_channel: PerChannel { weight_scales, multipliers, bias } })
    }
}
