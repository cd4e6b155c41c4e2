//! ADD of two int8 tensors of one shape with the 20-bit rescale of `quant::add`.

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::{self, NodeIo};
use crate::export::onnx_graph::{self, Lowered};
use crate::export::tflite_graph::{self, activation};
use crate::export::tflite_schema::tflite as fb;
use crate::payload::{activation_byte, activation_of, unused, Reader, Writer, R};
use crate::quant::add::AddRescale;
use crate::quant::clamp::{Activation, Clamp};
use crate::quant::params::TensorQuant;
use crate::shape::elements;
use crate::tensor::{clamp_i8, Tensor};
use crate::work::{weight, Cost};
use std::ops::RangeInclusive;

/// What an ADD's output shape depends on: its two inputs, of one shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape;

impl ShapeRule for Shape {
    fn arity(&self) -> RangeInclusive<usize> {
        2..=2
    }
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        if inputs[1] != inputs[0] {
            return Err(format!("inputs have different shapes {:?} and {:?}", inputs[0], inputs[1]));
        }
        Ok(inputs[0])
    }
    /// Two rescales and a requantization per value.
    fn cost(&self, _inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        Cost { work: elements(output).saturating_mul(weight::ADD), parameter_bytes: 16 }
    }
}

/// An ADD node.
#[derive(Debug, Clone, PartialEq)]
pub struct Add {
    /// The fused activation.
    pub activation: Activation,
    /// The output's quantization.
    pub output: TensorQuant,
    /// The fused activation's clamp on the output grid.
    pub clamp: Clamp,
}

impl Int8Op for Add {
    const NAME: &'static str = "ADD";

    fn shape(&self) -> OpShape {
        OpShape::Add(Shape)
    }

    fn output_quant(&self) -> Option<TensorQuant> {
        Some(self.output)
    }

    fn check(&self, _node: &NodeIo) -> R<()> {
        checks::output_and_clamp(&self.output, &self.clamp, self.activation)
    }

    fn run(&self, inputs: &[&Tensor], quants: &[TensorQuant]) -> Tensor {
        let (a, b) = (inputs[0], inputs[1]);
        let (zp_a, zp_b, zp_out) = (quants[0].zero_point, quants[1].zero_point, self.output.zero_point);
        let rescale = AddRescale::new(quants[0], quants[1], self.output);
        let data = a
            .data
            .iter()
            .zip(&b.data)
            .map(|(&qa, &qb)| clamp_i8(rescale.apply(qa, zp_a, qb, zp_b, zp_out), self.clamp))
            .collect();
        Tensor { shape: a.shape, data }
    }

    fn flags(&self) -> [u8; 2] {
        [0, activation_byte(self.activation)]
    }

    fn write(&self, w: &mut Writer) {
        w.quant(&self.output);
        w.clamp(&self.clamp);
    }

    fn read(r: &mut Reader, [b1, b2]: [u8; 2]) -> R<Self> {
        unused(b1, "padding")?;
        let activation = activation_of(b2)?;
        let output = r.quant("output")?;
        let clamp = r.clamp("activation clamp")?;
        Ok(Add { activation, output, clamp })
    }

    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        let o = fb::AddOptions { fused_activation_function: activation(self.activation), pot_scale_int16: true };
        let options = Some(fb::BuiltinOptions::AddOptions(Box::new(o)));
        g.op(fb::BuiltinOperator::Add, 2, node.inputs.clone(), vec![node.output], options);
    }

    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        let y = g.node("Add", node.inputs.clone(), vec![], node.name);
        Lowered { value: g.activation(y, self.activation, node.name), flat: node.flat[0] }
    }
}
