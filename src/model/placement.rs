//! Where fake quant goes, following tfmot's default 8-bit scheme and what the int8 runtime
//! needs. Each layer kind says how its output is quantized (`LayerKind::output_range`): conv,
//! depthwise, dense, Add, global average pooling and Concat with a range of their own (after BN
//! and the activation: nothing is quantized between conv, BN and ReLU); max pooling and flatten
//! keep their input's quantization; average pooling re-quantizes onto its input's grid
//! (AVERAGE_POOL_2D shares scale and zero point). A tensor that feeds a Concat is quantized by
//! the Concat, so all inputs and the output share one scale; only kinds that say
//! `may_feed_concat` may do so.

use crate::model::layer::OutputRange;
use crate::model::spec::ModelSpec;
use crate::{QatError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// How one node's output is quantized.
pub enum OutputQuant {
    /// Observer and fake quant on this node's output.
    Own,
    /// No fake quant: the output keeps the input's quantization (max pool, flatten).
    SameAsInput,
    /// Fake quant with the input's range, no observer (average pooling).
    InputRange,
    /// Quantized by Concat node k, whose range it shares.
    Deferred(usize),
}

/// The quantization of every node's output, in node order; an error names a Concat input that cannot take the Concat's scale.
pub fn placement(spec: &ModelSpec) -> Result<Vec<OutputQuant>> {
    let n = spec.nodes.len();
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
    for (k, node) in spec.nodes.iter().enumerate() {
        for &t in &node.inputs {
            readers[t].push(k);
        }
    }
    let mut out = Vec::with_capacity(n);
    for (k, node) in spec.nodes.iter().enumerate() {
        let kind = node.layer.kind();
        let concat_reader = readers[k + 1]
            .iter()
            .copied()
            .find(|&r| matches!(spec.nodes[r].layer, crate::model::kinds::Layer::Concat(_)));
        out.push(match concat_reader {
            Some(c) => {
                if !kind.may_feed_concat() {
                    return Err(QatError::Invalid(format!(
                        "layer {:?} ({}) feeds concat {:?}: concat inputs must be conv, depthwise, dense or add layers so they can take the concat's shared scale",
                        node.name,
                        node.layer.op_name(),
                        spec.nodes[c].name
                    )));
                }
                if readers[k + 1].len() > 1 {
                    return Err(QatError::Invalid(format!(
                        "layer {:?} feeds concat {:?} and other layers; a concat input shares the concat's scale, so it may have no other reader",
                        node.name, spec.nodes[c].name
                    )));
                }
                OutputQuant::Deferred(c)
            }
            None => match kind.output_range() {
                OutputRange::Own => OutputQuant::Own,
                OutputRange::SameAsInput => OutputQuant::SameAsInput,
                OutputRange::InputRange => OutputQuant::InputRange,
            },
        });
    }
    Ok(out)
}
