//! The `.tflite` graph under construction: tensors, buffers, operator codes and operators of
//! the one subgraph, in TFLite's schema (`tflite_schema`), and the helpers every op's lowering
//! uses (`crate::ops`; `tflite` drives them).

use super::tflite_schema::tflite as fb;
use crate::quant::clamp::Activation;
use crate::quant::params::TensorQuant;
use crate::shape::{window, Padding};

/// Tensors, buffers and operators of the one subgraph, as they are added.
pub(crate) struct Graph {
    pub tensors: Vec<fb::Tensor>,
    pub buffers: Vec<fb::Buffer>,
    pub codes: Vec<(fb::BuiltinOperator, i32)>,
    pub operators: Vec<fb::Operator>,
}

pub(crate) fn quantization(
    scales: Vec<f32>,
    zero_points: Vec<i64>,
    dimension: i32,
) -> Option<Box<fb::QuantizationParameters>> {
    Some(Box::new(fb::QuantizationParameters {
        scale: Some(scales),
        zero_point: Some(zero_points),
        quantized_dimension: dimension,
        ..Default::default()
    }))
}

pub(crate) fn per_tensor(q: TensorQuant) -> Option<Box<fb::QuantizationParameters>> {
    quantization(vec![q.scale], vec![q.zero_point as i64], 0)
}

pub(crate) fn activation(a: Activation) -> fb::ActivationFunctionType {
    match a {
        Activation::None => fb::ActivationFunctionType::None,
        Activation::Relu => fb::ActivationFunctionType::Relu,
        Activation::Relu6 => fb::ActivationFunctionType::Relu6,
    }
}

pub(crate) fn dims(d: &[u32]) -> Vec<i32> {
    // Every dimension is at most 2^24 (`limits`), far inside i32.
    d.iter().map(|&x| x as i32).collect()
}

impl Graph {
    /// Adds a tensor (with constant `data` if given); returns its index. A tensor without data
    /// is an activation, whose first dimension is the batch: its shape signature says -1 there,
    /// so LiteRT resizes the input to any batch.
    pub fn tensor(
        &mut self,
        name: &str,
        shape: Vec<i32>,
        type_: fb::TensorType,
        quantization: Option<Box<fb::QuantizationParameters>>,
        data: Option<Vec<u8>>,
    ) -> i32 {
        let buffer = match data {
            Some(bytes) => {
                self.buffers.push(fb::Buffer { data: Some(bytes), ..Default::default() });
                (self.buffers.len() - 1) as u32
            }
            None => 0,
        };
        let shape_signature = (buffer == 0).then(|| {
            let mut s = shape.clone();
            s[0] = -1;
            s
        });
        self.tensors.push(fb::Tensor {
            shape: Some(shape),
            shape_signature,
            type_,
            buffer,
            name: Some(name.to_string()),
            quantization,
            ..Default::default()
        });
        (self.tensors.len() - 1) as i32
    }

    pub fn int32_constant(
        &mut self,
        name: &str,
        values: &[i32],
        quantization: Option<Box<fb::QuantizationParameters>>,
    ) -> i32 {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensor(name, vec![values.len() as i32], fb::TensorType::Int32, quantization, Some(bytes))
    }

    /// A RESHAPE of `input` into `output` as `new_shape` (-1 first: whatever batch it has), its
    /// shape tensor named `{name}/shape`.
    pub fn reshape(&mut self, name: &str, input: i32, output: i32, new_shape: &[i32]) {
        let shape = self.int32_constant(&format!("{name}/shape"), new_shape, None);
        let options = Some(fb::BuiltinOptions::ReshapeOptions(Box::new(fb::ReshapeOptions {
            new_shape: Some(new_shape.to_vec()),
        })));
        self.op(fb::BuiltinOperator::Reshape, 1, vec![input, shape], vec![output], options);
    }

    /// Adds an operator, registering its code with `version`.
    pub fn op(
        &mut self,
        code: fb::BuiltinOperator,
        version: i32,
        inputs: Vec<i32>,
        outputs: Vec<i32>,
        options: Option<fb::BuiltinOptions>,
    ) {
        let index = match self.codes.iter().position(|&(c, _)| c == code) {
            Some(i) => {
                self.codes[i].1 = self.codes[i].1.max(version);
                i
            }
            None => {
                self.codes.push((code, version));
                self.codes.len() - 1
            }
        };
        self.operators.push(fb::Operator {
            opcode_index: index as u32,
            inputs: Some(inputs),
            outputs: Some(outputs),
            builtin_options: options,
            ..Default::default()
        });
    }

    /// The input a window op of `kernel` at `stride` reads, and the TFLite padding it takes:
    /// "valid" and "same" as they are; explicit padding as "same" or "valid" where it equals
    /// one, else the input padded with `with` followed by "valid".
    pub fn padded_input(
        &mut self,
        node: &Node,
        kernel: [u32; 2],
        stride: u32,
        p: Padding,
        with: PadWith,
    ) -> (i32, fb::Padding) {
        let [h, w, c] = node.shapes[0];
        let pads = match p {
            Padding::Valid => return (node.inputs[0], fb::Padding::Valid),
            Padding::Same => return (node.inputs[0], fb::Padding::Same),
            Padding::Explicit(pads) => pads,
        };
        if pads.is_zero() {
            return (node.inputs[0], fb::Padding::Valid);
        }
        if window([h, w], kernel, stride, Padding::Same).is_some_and(|s| s.pads == pads) {
            return (node.inputs[0], fb::Padding::Same);
        }
        let amounts = [0, 0, pads.top as i32, pads.bottom as i32, pads.left as i32, pads.right as i32, 0, 0];
        let bytes = amounts.iter().flat_map(|v| v.to_le_bytes()).collect();
        let paddings =
            self.tensor(&format!("{}/paddings", node.name), vec![4, 2], fb::TensorType::Int32, None, Some(bytes));
        let shape = dims(&[1, h + pads.top + pads.bottom, w + pads.left + pads.right, c]);
        let padded = self.tensor(
            &format!("{}/padded", node.name),
            shape,
            fb::TensorType::Int8,
            per_tensor(node.quants[0]),
            None,
        );
        match with {
            PadWith::ZeroPoint => {
                let options = Some(fb::BuiltinOptions::PadOptions(Box::default()));
                self.op(fb::BuiltinOperator::Pad, 2, vec![node.inputs[0], paddings], vec![padded], options);
            }
            PadWith::Lowest => {
                let value = self.tensor(
                    &format!("{}/pad_value", node.name),
                    vec![1],
                    fb::TensorType::Int8,
                    per_tensor(node.quants[0]),
                    Some(vec![i8::MIN as u8]),
                );
                let options = Some(fb::BuiltinOptions::PadV2Options(Box::default()));
                self.op(fb::BuiltinOperator::Padv2, 2, vec![node.inputs[0], paddings, value], vec![padded], options);
            }
        }
        (padded, fb::Padding::Valid)
    }

    /// A pool (`code`: MAX_POOL_2D or AVERAGE_POOL_2D) of `size` x `size` windows at `stride`
    /// with TFLite's `padding`, reading tensor `x` and writing the node's output.
    pub fn pool(
        &mut self,
        code: fb::BuiltinOperator,
        node: &Node,
        x: i32,
        padding: fb::Padding,
        size: u32,
        stride: u32,
    ) {
        let o = fb::Pool2DOptions {
            padding,
            stride_w: stride as i32,
            stride_h: stride as i32,
            filter_width: size as i32,
            filter_height: size as i32,
            fused_activation_function: fb::ActivationFunctionType::None,
        };
        self.op(code, 2, vec![x], vec![node.output], Some(fb::BuiltinOptions::Pool2DOptions(Box::new(o))));
    }

    /// A node's int8 weights (zero point 0) with `scales` on `dimension`.
    pub fn weights(&mut self, node: &Node, shape: Vec<i32>, w: &[i8], scales: &[f32], dimension: i32) -> i32 {
        let q = quantization(scales.to_vec(), vec![0; scales.len()], dimension);
        let bytes = w.iter().map(|&v| v as u8).collect();
        self.tensor(&format!("{}/weights", node.name), shape, fb::TensorType::Int8, q, Some(bytes))
    }

    /// A node's int32 biases with their scales as TFLite's converter stores them: input scale x
    /// weight scale, in float32.
    pub fn bias(&mut self, node: &Node, bias: &[i32], weight_scales: &[f32]) -> i32 {
        let s_in = node.quants[0].scale;
        let scales: Vec<f32> = weight_scales.iter().map(|&s| (s_in as f64 * s as f64) as f32).collect();
        let n = scales.len();
        self.int32_constant(&format!("{}/bias", node.name), bias, quantization(scales, vec![0; n], 0))
    }
}

/// What a PAD puts around a window op's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PadWith {
    /// The input's zero point (real 0: adds nothing to a conv's sums); PAD.
    ZeroPoint,
    /// -128, which no max pool takes as its maximum; PADV2.
    Lowest,
}

/// What an op's lowering sees of its node: its name, the tensors it reads (ids in the graph,
/// with their quantization) and the output tensor the driver added for it.
pub(crate) struct Node<'a> {
    /// The node's name.
    pub name: &'a str,
    /// The ids of the tensors read.
    pub inputs: Vec<i32>,
    /// Their quantization.
    pub quants: Vec<TensorQuant>,
    /// Their [h, w, c].
    pub shapes: Vec<[u32; 3]>,
    /// The id of the output tensor.
    pub output: i32,
    /// The output's [h, w, c].
    pub output_shape: [u32; 3],
}
