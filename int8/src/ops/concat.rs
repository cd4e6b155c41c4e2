//! CONCATENATION on the channel axis; inputs and output share one scale and zero point, so the
//! values are copied unchanged.

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::NodeIo;
use crate::export::onnx_graph::{self, attr_int, Lowered};
use crate::export::tflite_graph;
use crate::export::tflite_schema::tflite as fb;
use crate::limits;
use crate::payload::{unused, Reader, R};
use crate::quant::params::TensorQuant;
use crate::shape::elements;
use crate::tensor::Tensor;
use crate::work::{weight, Cost};
use std::ops::RangeInclusive;

/// What a CONCATENATION's output shape depends on: its inputs, of one height and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape;

impl ShapeRule for Shape {
    fn arity(&self) -> RangeInclusive<usize> {
        2..=limits::MAX_CONCAT_INPUTS
    }
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        let x = inputs[0];
        if let Some(s) = inputs.iter().find(|s| s[0] != x[0] || s[1] != x[1]) {
            return Err(format!("inputs differ in height/width: {x:?} and {s:?}"));
        }
        let channels: u64 = inputs.iter().map(|s| s[2] as u64).sum();
        if channels > limits::MAX_DIM as u64 {
            return Err(format!("{channels} output channels is more than the limit of {}", limits::MAX_DIM));
        }
        Ok([x[0], x[1], channels as u32])
    }
    /// Each value copied, and one step per pixel and input.
    fn cost(&self, inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        let parts = (output[0] as u64 * output[1] as u64).saturating_mul(inputs.len() as u64);
        Cost {
            work: elements(output).saturating_mul(weight::COPY) + parts.saturating_mul(weight::CONCAT_PART),
            parameter_bytes: 0,
        }
    }
}

/// A CONCATENATION node.
#[derive(Debug, Clone, PartialEq)]
pub struct Concat;

impl Int8Op for Concat {
    const NAME: &'static str = "CONCATENATION";

    fn shape(&self) -> OpShape {
        OpShape::Concat(Shape)
    }

    fn check(&self, node: &NodeIo) -> R<()> {
        let q = node.quants[0];
        if let Some(k) = node.quants.iter().position(|&t| t != q) {
            return Err(format!(
                "inputs must share one scale and zero point: tensor {} has {:?}, tensor {} {q:?}",
                node.inputs[k], node.quants[k], node.inputs[0]
            ));
        }
        Ok(())
    }

    fn run(&self, inputs: &[&Tensor], _quants: &[TensorQuant]) -> Tensor {
        let [h, w, _] = inputs[0].shape;
        let c_out: u32 = inputs.iter().map(|t| t.shape[2]).sum();
        let mut data = Vec::with_capacity((h * w * c_out) as usize);
        for px in 0..(h * w) as usize {
            for t in inputs {
                let c = t.shape[2] as usize;
                data.extend_from_slice(&t.data[px * c..(px + 1) * c]);
            }
        }
        Tensor { shape: [h, w, c_out], data }
    }

    fn read(_r: &mut Reader, [b1, b2]: [u8; 2]) -> R<Self> {
        unused(b1, "padding")?;
        unused(b2, "activation")?;
        Ok(Concat)
    }

    /// On axis 3 (channels of NHWC).
    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        let o = fb::ConcatenationOptions { axis: 3, fused_activation_function: fb::ActivationFunctionType::None };
        let options = Some(fb::BuiltinOptions::ConcatenationOptions(Box::new(o)));
        g.op(fb::BuiltinOperator::Concatenation, 2, node.inputs.clone(), vec![node.output], options);
    }

    /// On axis 1 (channels of NCHW).
    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        Lowered { value: g.node("Concat", node.inputs.clone(), vec![attr_int("axis", 1)], node.name), flat: false }
    }
}
