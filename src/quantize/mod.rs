//! Trained network -> int8 model, node by node: each kind's `layers::Behaviour::export` works
//! in the export context (`export`: folded, quantized weights and int32 biases), with tensor
//! quantization as `model::placement` says; and back (`dequantize`, for `verify`).

pub mod export;
pub mod verify;

use crate::model::placement::{placement, OutputQuant};
use crate::model::spec::{ModelSpec, Node};
use crate::train::network::WeightQuant;
use crate::{QatError, Result};
use export::{tensor_quant, Export, TrainedState};
use qat_int8::model::{QNode, QuantModel};
use qat_int8::quant::clamp::Clamp;
use qat_int8::quant::fake_quant::{nudge, Grid};
use qat_int8::quant::multiplier::Rounding;
use qat_int8::quant::params::TensorQuant;

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
        let out = match place[k] {
            OutputQuant::Own => own(k)?,
            OutputQuant::Deferred(c) => own(c)?,
            OutputQuant::SameAsInput | OutputQuant::InputRange => quants[input],
        };
        let in_shape = spec.tensor_shape(&shapes, input);
        let kind = node.layer.kind();
        let params = match kind.weights(in_shape) {
            Some(g) => Some((
                params
                    .next()
                    .ok_or_else(|| QatError::Invalid(format!("layer {:?} has no trained parameters", node.name)))?,
                g,
            )),
            None => None,
        };
        let op = crate::layers::behaviour(&node.layer).export(&Export {
            name: &node.name,
            in_shape,
            input: quants[input],
            output: out,
            clamp: Clamp::fused(kind.activation(), out),
            params,
            per_channel: state.weight_quant == WeightQuant::PerChannel && kind.per_channel_weights(),
            grid: wgrid,
        })?;
        quants.push(out);
        nodes.push(QNode { name: node.name.clone(), inputs: node.inputs.clone(), op });
    }
    Ok(QuantModel {
        rounding: Rounding::DoubleRounding,
        input_shape: spec.input,
        input_quant: quants[0],
        input_norm: state.input_norm.clone(),
        nodes,
    })
}

/// The float model an int8 model stands for: the folded graph (no batch norm) with dequantized
/// weights and biases, and activation ranges equal to each tensor's representable range.
/// `verify` runs this through the GPU fake-quant forward to compare it with the int8 interpreter.
pub fn dequantize(model: &QuantModel) -> Result<TrainedState> {
    let range = |t: &TensorQuant| [(-128 - t.zero_point) as f32 * t.scale, (127 - t.zero_point) as f32 * t.scale];
    let quants = model.tensor_quants();
    let mut nodes = Vec::new();
    let mut params = Vec::new();
    for n in &model.nodes {
        let s_in = quants[n.inputs[0]].scale as f64;
        let (layer, host) = crate::layers::from_int8(&n.op, s_in)?.ok_or_else(|| {
            QatError::Invalid(format!("node {:?}: no layer kind stands for {}", n.name, n.op.op_name()))
        })?;
        params.extend(host);
        nodes.push(Node { name: n.name.clone(), layer, inputs: n.inputs.clone() });
    }
    let spec = ModelSpec { name: "from-file".into(), input: model.input_shape, nodes };
    let place = placement(&spec)?;
    let output_ranges =
        place.iter().enumerate().map(|(k, p)| matches!(p, OutputQuant::Own).then(|| range(&quants[k + 1]))).collect();
    // A model quantized per tensor has equal scales in every channel of every layer.
    let per_tensor = model.nodes.iter().all(|n| n.op.weight_scales().windows(2).all(|w| w[0] == w[1]));
    let weight_quant = if per_tensor { WeightQuant::PerTensor } else { WeightQuant::PerChannel };
    Ok(TrainedState {
        spec,
        params,
        input_range: range(&model.input_quant),
        output_ranges,
        bits: 8,
        weight_quant,
        input_norm: model.input_norm.clone(),
    })
}
