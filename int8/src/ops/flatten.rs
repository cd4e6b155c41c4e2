//! RESHAPE to [1, 1, h*w*c]: the same int8 values in the same (NHWC) order.

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::NodeIo;
use crate::export::onnx_graph::{self, attr_int, attr_ints, Lowered};
use crate::export::tflite_graph;
use crate::payload::{unused, Reader, R};
use crate::quant::params::TensorQuant;
use crate::shape::elements;
use crate::tensor::Tensor;
use crate::work::{weight, Cost};

/// What a RESHAPE's output shape depends on: nothing but its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape;

impl ShapeRule for Shape {
    /// The input is at most MAX_TENSOR_ELEMENTS (< 2^32) elements: the cast cannot wrap.
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        Ok([1, 1, elements(inputs[0]) as u32])
    }
    /// One copy per value.
    fn cost(&self, _inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        Cost { work: elements(output).saturating_mul(weight::COPY), parameter_bytes: 0 }
    }
}

/// A RESHAPE node that flattens.
#[derive(Debug, Clone, PartialEq)]
pub struct Flatten;

impl Int8Op for Flatten {
    const NAME: &'static str = "RESHAPE";

    fn shape(&self) -> OpShape {
        OpShape::Flatten(Shape)
    }

    fn flat_output(&self) -> bool {
        true
    }

    fn check(&self, _node: &NodeIo) -> R<()> {
        Ok(())
    }

    fn run(&self, inputs: &[&Tensor], _quants: &[TensorQuant]) -> Tensor {
        Tensor { shape: [1, 1, inputs[0].data.len() as u32], data: inputs[0].data.clone() }
    }

    fn read(_r: &mut Reader, [b1, b2]: [u8; 2]) -> R<Self> {
        unused(b1, "padding")?;
        unused(b2, "activation")?;
        Ok(Flatten)
    }

    /// RESHAPE to [batch, N] (-1: whatever batch the input has).
    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        g.reshape(node.name, node.inputs[0], node.output, &[-1, node.output_shape[2] as i32]);
    }

    /// Back to NHWC first, so the flat order is ours.
    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        let x = node.inputs[0].clone();
        let nhwc = if node.flat[0] {
            x
        } else {
            g.node("Transpose", vec![x], vec![attr_ints("perm", vec![0, 2, 3, 1])], node.name)
        };
        Lowered { value: g.node("Flatten", vec![nhwc], vec![attr_int("axis", 1)], node.name), flat: true }
    }
}
