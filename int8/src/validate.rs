//! The one validation of an int8 model. The file reader runs it on every model it parses, and
//! the writer runs it before a byte is written, so a model that would not load is never
//! written, and a model that loads can be run by the interpreter without a panic, an overflow
//! or an absurd allocation.
//!
//! It checks, node by node in graph order: names, input references, shapes and every size
//! limit (through `shape::infer`, the one shape inference, in u64 arithmetic), the lengths of
//! weights, biases, scales and multipliers, quantization parameters (positive finite scales,
//! int8 zero points, normalized Q31 multipliers with shifts in [-31, 30] that equal what LiteRT
//! derives from the scales, clamps equal to what the fused activation gives), weights in the
//! symmetric range [-127, 127], the int32 accumulator bound, Concat's shared quantization, and
//! that the last node is FULLY_CONNECTED; then the work budget of one image (`crate::work`:
//! every op's work and the peak of live tensors) against `InterpreterLimits`.

use crate::limits::{self, InterpreterLimits};
use crate::model::{Clamp, QLayer, QNode, QuantModel};
use crate::quant::multiplier::{quantize_multiplier, QuantizedMultiplier};
use crate::quant::params::TensorQuant;
use crate::shape::{elements, infer};
use crate::work;

/// What running one image takes, as the validation computed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    /// Shape of every tensor (0: the input).
    pub shapes: Vec<[u32; 3]>,
    /// Work, parameters and memory of one image (`crate::work`).
    pub usage: work::Usage,
}

/// Why a model is not valid: the node (index and name) when one is at fault, and the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// (index, name, op) of the node at fault, if one is.
    pub node: Option<(usize, String, &'static str)>,
    /// What is wrong.
    pub detail: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.node {
            Some((k, name, op)) => write!(f, "node {k} {name:?} ({op}): {}", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

impl Invalid {
    /// True when the cause is a quantization parameter that a diverged training run produces
    /// (a scale or multiplier out of range, an accumulator that could overflow).
    pub fn looks_diverged(&self) -> bool {
        ["scale", "multiplier", "accumulator", "bias"].iter().any(|w| self.detail.contains(w))
    }
}

type R<T> = std::result::Result<T, String>;

/// Validates `model` against the fixed limits and `limits`.
pub fn validate(model: &QuantModel, limits: &InterpreterLimits) -> std::result::Result<Footprint, Invalid> {
    let top = |detail: String| Invalid { node: None, detail };
    let input = model.input_shape;
    if input.iter().any(|&d| d == 0 || d > limits::MAX_DIM) || elements(input) > limits::MAX_TENSOR_ELEMENTS {
        return Err(top(format!(
            "input shape {input:?} must have dimensions in 1..={} and at most {} elements",
            limits::MAX_DIM,
            limits::MAX_TENSOR_ELEMENTS
        )));
    }
    quant(&model.input_quant, "input").map_err(top)?;
    let norm = &model.input_norm;
    if norm.mean.len() != input[2] as usize || norm.std.len() != input[2] as usize {
        return Err(top(format!(
            "the input normalization has {} means and {} standard deviations for {} channels",
            norm.mean.len(),
            norm.std.len(),
            input[2]
        )));
    }
    if let Some(c) =
        (0..norm.mean.len()).find(|&c| !(norm.mean[c].is_finite() && norm.std[c].is_finite() && norm.std[c] > 0.0))
    {
        return Err(top(format!(
            "input channel {c}: normalization mean {} / std {} must be finite with a positive std",
            norm.mean[c], norm.std[c]
        )));
    }
    if model.nodes.is_empty() || model.nodes.len() > limits::MAX_LAYERS {
        return Err(top(format!("{} nodes is outside 1..={}", model.nodes.len(), limits::MAX_LAYERS)));
    }
    let mut shapes = vec![input];
    let mut quants = vec![model.input_quant];
    for (k, node) in model.nodes.iter().enumerate() {
        let at = |detail: String| Invalid { node: Some((k, node.name.clone(), node.op.op_name())), detail };
        let shape = check_node(k, node, &shapes, &quants).map_err(at)?;
        let n = elements(shape);
        if n > limits::MAX_TENSOR_ELEMENTS {
            return Err(at(format!("output {shape:?} has more than {} elements", limits::MAX_TENSOR_ELEMENTS)));
        }
        quants.push(node.op.output_quant().unwrap_or(quants[node.inputs[0]]));
        shapes.push(shape);
    }
    if !matches!(model.nodes.last().map(|n| &n.op), Some(QLayer::FullyConnected { .. })) {
        return Err(top("the last node must be FULLY_CONNECTED (the logits)".into()));
    }
    let ops: Vec<_> = model.nodes.iter().map(|n| (n.op.shape_op(), n.inputs.clone())).collect();
    let usage = work::usage(&shapes, &ops);
    work::check(&usage, limits).map_err(top)?;
    Ok(Footprint { shapes, usage })
}

/// Checks node `k` given the shapes and quantization of tensors 0..=k; returns its output shape. The shape and every size limit come from `shape::infer`, the one shape
/// inference; what is checked here is what only an int8 model has.
fn check_node(k: usize, node: &QNode, shapes: &[[u32; 3]], quants: &[TensorQuant]) -> R<[u32; 3]> {
    if node.name.is_empty() || node.name.len() > limits::MAX_NAME_BYTES {
        return Err(format!("a node name has 1 to {} bytes, this one {}", limits::MAX_NAME_BYTES, node.name.len()));
    }
    if let Some(t) = node.inputs.iter().find(|&&t| t > k) {
        return Err(format!("reads tensor {t}, which is not made before node {k}"));
    }
    let inputs: Vec<[u32; 3]> = node.inputs.iter().map(|&t| shapes[t]).collect();
    let shape = infer(node.op.shape_op(), &inputs)?;
    let oc = shape[2];
    let c = inputs[0][2];
    let q_in = quants[node.inputs[0]];
    match &node.op {
        QLayer::Conv2d {
            kernel,
            in_channels,
            activation,
            weight_scales,
            multipliers,
            bias,
            weights,
            output,
            clamp,
            ..
        } => {
            if *in_channels != c {
                return Err(format!("expects {in_channels} input channels, its input has {c}"));
            }
            let taps = kernel[0] as u64 * kernel[1] as u64 * c as u64;
            weighted(oc, taps, weight_scales, multipliers, bias, weights)?;
            output_and_clamp(output, clamp, *activation)?;
            requantization(q_in, weight_scales, multipliers, output)?;
        }
        QLayer::DepthwiseConv2d {
            channels,
            kernel,
            activation,
            weight_scales,
            multipliers,
            bias,
            weights,
            output,
            clamp,
            ..
        } => {
            if *channels != c {
                return Err(format!("has {channels} channels, its input has {c}"));
            }
            let taps = kernel[0] as u64 * kernel[1] as u64;
            weighted(c, taps, weight_scales, multipliers, bias, weights)?;
            output_and_clamp(output, clamp, *activation)?;
            requantization(q_in, weight_scales, multipliers, output)?;
        }
        QLayer::MaxPool { .. } | QLayer::AvgPool { .. } | QLayer::Flatten => {}
        QLayer::Mean { output } => quant(output, "output")?,
        QLayer::FullyConnected { units, inputs, activation, weight_scale, bias, weights, output, clamp } => {
            if *inputs != c {
                return Err(format!("expects {inputs} flat inputs, its input has {c}"));
            }
            scale(*weight_scale, "weight scale")?;
            let taps = *inputs as u64;
            if weights.len() as u64 != *units as u64 * taps {
                return Err(format!("has {} weights, {units} x {inputs} expected", weights.len()));
            }
            if bias.len() != *units as usize {
                return Err(format!("has {} biases for {units} units", bias.len()));
            }
            accumulator(taps, bias)?;
            symmetric(weights)?;
            output_and_clamp(output, clamp, *activation)?;
            // LiteRT's float64 rescale of this op must be a usable number.
            let real = q_in.scale as f64 * *weight_scale as f64 / output.scale as f64;
            if !(real.is_finite() && real > 0.0) {
                return Err(format!("rescale multiplier {real} (input scale x weight scale / output scale) is not a positive finite number"));
            }
        }
        QLayer::Add { activation, output, clamp } => output_and_clamp(output, clamp, *activation)?,
        QLayer::Concat => {
            if let Some(&t) = node.inputs.iter().find(|&&t| quants[t] != q_in) {
                return Err(format!(
                    "inputs must share one scale and zero point: tensor {t} has {:?}, tensor {} {q_in:?}",
                    quants[t], node.inputs[0]
                ));
            }
        }
    }
    Ok(shape)
}

/// Per-channel multipliers are what LiteRT derives from the scales it is given:
/// QuantizeMultiplier(input_scale * weight_scale[c] / output_scale) in float64 (docs/NUMERICS.md),
/// so an exported `.tflite` computes the bytes our interpreter computes.
fn requantization(
    input: TensorQuant,
    weight_scales: &[f32],
    multipliers: &[QuantizedMultiplier],
    output: &TensorQuant,
) -> R<()> {
    for (c, (&s, m)) in weight_scales.iter().zip(multipliers).enumerate() {
        let want = quantize_multiplier(input.scale as f64 * s as f64 / output.scale as f64);
        if *m != want {
            return Err(format!(
                "channel {c}: multiplier {} with shift {} is not the one its scales give ({} with shift {})",
                m.multiplier, m.shift, want.multiplier, want.shift
            ));
        }
    }
    Ok(())
}

fn scale(s: f32, what: &str) -> R<()> {
    if !(s.is_finite() && s > 0.0) {
        return Err(format!("{what} {s} is not a positive finite scale"));
    }
    Ok(())
}

fn quant(q: &TensorQuant, what: &str) -> R<()> {
    scale(q.scale, &format!("{what} scale"))?;
    if !(-128..=127).contains(&q.zero_point) {
        return Err(format!("{what} zero point {} is outside int8", q.zero_point));
    }
    Ok(())
}

fn output_and_clamp(output: &TensorQuant, clamp: &Clamp, activation: crate::quant::clamp::Activation) -> R<()> {
    quant(output, "output")?;
    let want = Clamp::fused(activation, *output);
    if *clamp != want {
        return Err(format!(
            "activation clamp [{}, {}] is not the one {activation:?} gives for this output ([{}, {}])",
            clamp.min, clamp.max, want.min, want.max
        ));
    }
    Ok(())
}

/// Per-channel weights of conv and depthwise: lengths, scales, multipliers, accumulator bound
/// and symmetric range.
fn weighted(
    channels: u32,
    taps: u64,
    scales: &[f32],
    multipliers: &[QuantizedMultiplier],
    bias: &[i32],
    weights: &[i8],
) -> R<()> {
    let n = channels as usize;
    if scales.len() != n || multipliers.len() != n || bias.len() != n {
        return Err(format!(
            "{channels} channels but {} weight scales, {} multipliers, {} biases",
            scales.len(),
            multipliers.len(),
            bias.len()
        ));
    }
    if weights.len() as u64 != channels as u64 * taps {
        return Err(format!("has {} weights, {channels} channels x {taps} taps expected", weights.len()));
    }
    for (c, &s) in scales.iter().enumerate() {
        scale(s, &format!("channel {c} weight scale"))?;
    }
    for (c, m) in multipliers.iter().enumerate() {
        if !(m.multiplier == 0 || (1 << 30..=i32::MAX).contains(&m.multiplier)) || !(-31..=30).contains(&m.shift) {
            return Err(format!(
                "channel {c}: multiplier {} with shift {} is not a normalized Q31 multiplier with shift in [-31, 30]",
                m.multiplier, m.shift
            ));
        }
    }
    accumulator(taps, bias)?;
    symmetric(weights)
}

/// Weights are symmetric narrow-range int8: -128 never occurs.
fn symmetric(w: &[i8]) -> R<()> {
    match w.iter().position(|&v| v == -128) {
        Some(i) => Err(format!("weight {i} is -128, outside the symmetric range [-127, 127]")),
        None => Ok(()),
    }
}

/// The int32 accumulator is safe when |bias| + taps * 255 * 127 < 2^31
/// (|x - zp| <= 255 for int8 x and zp, |w| <= 127).
fn accumulator(taps: u64, bias: &[i32]) -> R<()> {
    if taps > limits::MAX_TAPS {
        return Err(format!("{taps} taps could overflow the int32 accumulator (limit {})", limits::MAX_TAPS));
    }
    let worst_bias = bias.iter().map(|b| (*b as i64).unsigned_abs()).max().unwrap_or(0);
    let bound = worst_bias + taps * 255 * 127;
    if bound >= 1u64 << 31 {
        return Err(format!("{taps} taps with |bias| up to {worst_bias} could overflow the int32 accumulator"));
    }
    Ok(())
}
