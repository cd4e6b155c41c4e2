//! MEAN over height and width (global average pooling), with its own output scale and zero
//! point and the prepared rescale of `quant::mean`.

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::{self, NodeIo};
use crate::export::onnx_graph::{self, Lowered};
use crate::export::tflite_graph;
use crate::export::tflite_schema::tflite as fb;
use crate::limits;
use crate::payload::{unused, Reader, Writer, R};
use crate::quant::clamp::Clamp;
use crate::quant::mean::MeanRescale;
use crate::quant::params::TensorQuant;
use crate::shape::elements;
use crate::tensor::{clamp_i8, Tensor};
use crate::work::{weight, Cost};

/// What a MEAN's output shape depends on: nothing but its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape;

impl ShapeRule for Shape {
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        let [h, w, c] = inputs[0];
        if h as u64 * w as u64 > limits::MAX_MEAN_WINDOW {
            return Err(format!(
                "averaging {h}x{w} values could overflow the int8 model's int32 sum (limit {} values)",
                limits::MAX_MEAN_WINDOW
            ));
        }
        Ok([1, 1, c])
    }
    /// Every value summed, and each output's requantization.
    fn cost(&self, inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        let work = elements(inputs[0]).saturating_mul(weight::MEAN_VALUE)
            + elements(output).saturating_mul(weight::MEAN_OUTPUT);
        Cost { work, parameter_bytes: 8 }
    }
}

/// A MEAN node.
#[derive(Debug, Clone, PartialEq)]
pub struct Mean {
    /// The output's quantization.
    pub output: TensorQuant,
}

impl Int8Op for Mean {
    const NAME: &'static str = "MEAN";

    fn shape(&self) -> OpShape {
        OpShape::Mean(Shape)
    }

    fn output_quant(&self) -> Option<TensorQuant> {
        Some(self.output)
    }

    fn reads_images(&self) -> bool {
        true
    }

    fn check(&self, _node: &NodeIo) -> R<()> {
        checks::quant(&self.output, "output")
    }

    fn run(&self, inputs: &[&Tensor], quants: &[TensorQuant]) -> Tensor {
        let (x, q_in) = (inputs[0], quants[0]);
        let [h, w, c] = x.shape;
        let rescale = MeanRescale::new(q_in, self.output, h * w);
        let cu = c as usize;
        let mut sums = vec![0i32; cu];
        for px in x.data.chunks_exact(cu.max(1)).take((h * w) as usize) {
            for (s, &v) in sums.iter_mut().zip(px) {
                *s += v as i32;
            }
        }
        let out = sums
            .iter()
            .map(|&sum| clamp_i8(rescale.apply(sum, q_in.zero_point, self.output.zero_point), Clamp::FULL))
            .collect();
        Tensor { shape: [1, 1, c], data: out }
    }

    fn write(&self, w: &mut Writer) {
        w.quant(&self.output);
    }

    fn read(r: &mut Reader, [b1, b2]: [u8; 2]) -> R<Self> {
        unused(b1, "padding")?;
        unused(b2, "activation")?;
        Ok(Mean { output: r.quant("output")? })
    }

    /// MEAN over axes [1, 2] with keep_dims.
    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        let axes = g.int32_constant(&format!("{}/axes", node.name), &[1, 2], None);
        let options = Some(fb::BuiltinOptions::ReducerOptions(Box::new(fb::ReducerOptions { keep_dims: true })));
        g.op(fb::BuiltinOperator::Mean, 2, vec![node.inputs[0], axes], vec![node.output], options);
    }

    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        Lowered { value: g.node("GlobalAveragePool", vec![node.inputs[0].clone()], vec![], node.name), flat: false }
    }
}
