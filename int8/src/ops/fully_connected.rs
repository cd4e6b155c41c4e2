//! FULLY_CONNECTED: int8 [units, inputs] weights quantized per tensor (zero point 0), int32
//! biases at scale input_scale * weight_scale, rescaled in float64 (LiteRT's reference rule for
//! this op).

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::{self, NodeIo};
use crate::export::onnx_graph::{self, attr_int, Lowered};
use crate::export::tflite_graph::{self, activation, dims};
use crate::export::tflite_schema::tflite as fb;
use crate::limits;
use crate::payload::{activation_byte, activation_of, unused, Reader, Writer, R};
use crate::quant::clamp::{Activation, Clamp};
use crate::quant::params::TensorQuant;
use crate::quant::rounding::round_half_away_f64;
use crate::shape::{check_accumulation, check_count};
use crate::tensor::{clamp_i8, Tensor};
use crate::work::{weight, Cost};

/// What a FULLY_CONNECTED's output shape depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Outputs.
    pub units: u32,
}

impl ShapeRule for Shape {
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        let x = inputs[0];
        check_count("units", self.units)?;
        if x[0] != 1 || x[1] != 1 {
            return Err(format!("needs a flat input, got {x:?} (add a flatten or global_avg_pool layer)"));
        }
        check_accumulation(x[2] as u64, x[2] as u64 * self.units as u64)?;
        Ok([1, 1, self.units])
    }
    /// Multiply-adds and each output's float64 rescale.
    fn cost(&self, inputs: &[[u32; 3]], _output: [u32; 3]) -> Cost {
        let weights = (self.units as u64).saturating_mul(inputs[0][2] as u64);
        Cost {
            work: weights.saturating_mul(weight::MAC) + (self.units as u64).saturating_mul(weight::DENSE_OUTPUT),
            parameter_bytes: weights + 4 * self.units as u64,
        }
    }
}

/// A FULLY_CONNECTED node.
#[derive(Debug, Clone, PartialEq)]
pub struct FullyConnected {
    /// Outputs.
    pub units: u32,
    /// Inputs (the flattened input tensor).
    pub inputs: u32,
    /// The fused activation.
    pub activation: Activation,
    /// The scale of all weights (per tensor).
    pub weight_scale: f32,
    /// Int32 biases at scale input_scale * weight_scale.
    pub bias: Vec<i32>,
    /// Int8 weights [units, inputs] (zero point 0, in [-127, 127]).
    pub weights: Vec<i8>,
    /// The output's quantization.
    pub output: TensorQuant,
    /// The fused activation's clamp on the output grid.
    pub clamp: Clamp,
}

impl Int8Op for FullyConnected {
    const NAME: &'static str = "FULLY_CONNECTED";

    fn shape(&self) -> OpShape {
        OpShape::FullyConnected(Shape { units: self.units })
    }

    fn output_quant(&self) -> Option<TensorQuant> {
        Some(self.output)
    }

    fn weight_scales(&self) -> &[f32] {
        std::slice::from_ref(&self.weight_scale)
    }

    fn flat_output(&self) -> bool {
        true
    }

    fn check(&self, node: &NodeIo) -> R<()> {
        let (units, inputs, c) = (self.units, self.inputs, node.channels());
        if inputs != c {
            return Err(format!("expects {inputs} flat inputs, its input has {c}"));
        }
        checks::scale(self.weight_scale, "weight scale")?;
        let taps = inputs as u64;
        if self.weights.len() as u64 != units as u64 * taps {
            return Err(format!("has {} weights, {units} x {inputs} expected", self.weights.len()));
        }
        if self.bias.len() != units as usize {
            return Err(format!("has {} biases for {units} units", self.bias.len()));
        }
        checks::accumulator(taps, &self.bias)?;
        checks::symmetric(&self.weights)?;
        checks::output_and_clamp(&self.output, &self.clamp, self.activation)?;
        // LiteRT's float64 rescale of this op must be a usable number.
        let real = node.quants[0].scale as f64 * self.weight_scale as f64 / self.output.scale as f64;
        if !(real.is_finite() && real > 0.0) {
            return Err(format!(
                "rescale multiplier {real} (input scale x weight scale / output scale) is not a positive finite number"
            ));
        }
        Ok(())
    }

    /// acc = bias\[o\] + sum_i w[o, i] * (x\[i\] - input_zero_point) (the overflow bound of conv);
    /// out = clamp(round_half_away(f64(acc) * (f64(s_in) * f64(s_w) / f64(s_out))) + zp_out).
    fn run(&self, inputs: &[&Tensor], quants: &[TensorQuant]) -> Tensor {
        let (x, q_in) = (inputs[0], quants[0]);
        let real_multiplier = q_in.scale as f64 * self.weight_scale as f64 / self.output.scale as f64;
        let n = self.inputs as usize;
        let out = (0..self.units as usize)
            .map(|o| {
                let mut acc: i32 = self.bias[o];
                for i in 0..n {
                    acc += self.weights[o * n + i] as i32 * (x.data[i] as i32 - q_in.zero_point);
                }
                // |acc| < 2^31, so the product is far inside f64's exact range; the cast saturates.
                let scaled = round_half_away_f64(acc as f64 * real_multiplier) as i32;
                clamp_i8(scaled.saturating_add(self.output.zero_point), self.clamp)
            })
            .collect();
        Tensor { shape: [1, 1, self.units], data: out }
    }

    fn flags(&self) -> [u8; 2] {
        [0, activation_byte(self.activation)]
    }

    fn write(&self, w: &mut Writer) {
        w.u32(self.units);
        w.u32(self.inputs);
        w.f32(self.weight_scale);
        w.quant(&self.output);
        w.clamp(&self.clamp);
        self.bias.iter().for_each(|&b| w.i32(b));
        w.i8s(&self.weights);
    }

    fn read(r: &mut Reader, [b1, b2]: [u8; 2]) -> R<Self> {
        unused(b1, "padding")?;
        let activation = activation_of(b2)?;
        let units = r.dim("units")?;
        let inputs = r.u32("inputs")?;
        if inputs == 0 || inputs as u64 > limits::MAX_TENSOR_ELEMENTS {
            return Err(format!("inputs = {inputs} is out of range 1..={}", limits::MAX_TENSOR_ELEMENTS));
        }
        let weight_scale = r.f32("weight scale")?;
        let output = r.quant("output")?;
        let clamp = r.clamp("activation clamp")?;
        let bias = r.i32s(units as usize, "bias")?;
        let weights = r.i8s(units as u64 * inputs as u64, "weights")?;
        Ok(FullyConnected { units, inputs, activation, weight_scale, bias, weights, output, clamp })
    }

    /// Per-tensor weights and biases (one scale each), the activation fused.
    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        let wi = g.weights(node, dims(&[self.units, self.inputs]), &self.weights, &[self.weight_scale], 0);
        let bi = g.bias(node, &self.bias, &[self.weight_scale]);
        let o = fb::FullyConnectedOptions { fused_activation_function: activation(self.activation), ..Default::default() };
        let options = Some(fb::BuiltinOptions::FullyConnectedOptions(Box::new(o)));
        g.op(fb::BuiltinOperator::FullyConnected, 4, vec![node.inputs[0], wi, bi], vec![node.output], options);
    }

    /// Gemm with transposed per-tensor weights on the flat input.
    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        let base = node.name;
        // The validated input is [1, 1, 1, K] or already flat.
        let x = node.inputs[0].clone();
        let x = if node.flat[0] { x } else { g.node("Flatten", vec![x], vec![attr_int("axis", 1)], base) };
        let dims = vec![self.units as i64, self.inputs as i64];
        let wf = g.weights(base, dims, self.weights.clone(), &[self.weight_scale], false);
        let bf = g.bias(base, &self.bias, node.quants[0].scale, &[self.weight_scale]);
        let y = g.node("Gemm", vec![x, wf, bf], vec![attr_int("transB", 1)], base);
        Lowered { value: g.activation(y, self.activation, base), flat: true }
    }
}
