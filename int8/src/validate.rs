//! The one validation of an int8 model. The file reader runs it on every model it parses, and
//! the writer runs it before a byte is written, so a model that would not load is never
//! written, and a model that loads can be run by the interpreter without a panic, an overflow
//! or an absurd allocation.
//!
//! It checks, node by node in graph order: names, input references, shapes and every size
//! limit (through `OpShape::infer`, the one shape inference, in u64 arithmetic), then what each
//! op checks of itself with the rules of `crate::checks` (the lengths of weights, biases, scales
//! and multipliers, positive finite scales, int8 zero points, normalized Q31 multipliers with
//! shifts in [-31, 30] that equal what LiteRT derives from the scales, clamps equal to what the
//! fused activation gives, weights in the symmetric range [-127, 127], the int32 accumulator
//! bound, Concat's shared quantization), and that the last node is FULLY_CONNECTED; then the work budget of one image (`crate::work`:
//! every op's work and the peak of live tensors) against `InterpreterLimits`.

use crate::checks::{quant, NodeIo};
use crate::limits::{self, InterpreterLimits};
use crate::model::{QNode, QuantModel};
use crate::quant::params::TensorQuant;
use crate::shape::elements;
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
    let last = shapes.last().copied().unwrap_or_default();
    if model.nodes.is_empty() || last[..2] != [1, 1] {
        return Err(top(format!("the last node makes {last:?}: the logits are one value per class ([1, 1, classes])")));
    }
    let ops: Vec<_> = model.nodes.iter().map(|n| (n.op.shape_op(), n.inputs.clone())).collect();
    let usage = crate::ops::usage(&shapes, &ops);
    work::check(&usage, limits).map_err(top)?;
    Ok(Footprint { shapes, usage })
}

/// Checks node `k` given the shapes and quantization of tensors 0..=k; returns its output
/// shape. The shape and every size limit come from `OpShape::infer`, the one shape inference;
/// what only an int8 model has, the op checks itself.
fn check_node(k: usize, node: &QNode, shapes: &[[u32; 3]], quants: &[TensorQuant]) -> R<[u32; 3]> {
    if node.name.is_empty() || node.name.len() > limits::MAX_NAME_BYTES {
        return Err(format!("a node name has 1 to {} bytes, this one {}", limits::MAX_NAME_BYTES, node.name.len()));
    }
    if let Some(t) = node.inputs.iter().find(|&&t| t > k) {
        return Err(format!("reads tensor {t}, which is not made before node {k}"));
    }
    let io = NodeIo {
        inputs: &node.inputs,
        shapes: node.inputs.iter().map(|&t| shapes[t]).collect(),
        quants: node.inputs.iter().map(|&t| quants[t]).collect(),
    };
    let shape = node.op.shape_op().infer(&io.shapes)?;
    node.op.check(&io)?;
    Ok(shape)
}
