//! The int8 model as ONNX in the QDQ form that onnxruntime and the ONNX toolchain expect:
//! float operators (Conv, Gemm, MaxPool, AveragePool, GlobalAveragePool, Add, Concat) between
//! QuantizeLinear / DequantizeLinear pairs that carry our scales and zero points, weights stored
//! as int8 initializers behind DequantizeLinear (per output channel on axis 0 for Conv and
//! depthwise Conv, per tensor for Gemm), biases as int32 at scale input_scale * weight_scale.
//! Opset 13, written with prost over the vendored `onnx.proto` (`onnx_proto`).
//!
//! Layout: the input is float32 [1, H, W, C] like the `.tflite`'s (the same float input), it is
//! quantized, transposed to NCHW for ONNX's Conv, and transposed back before a flatten so that
//! flattening keeps our NHWC order. The output is the int8 logits [1, classes], or float32 with
//! `float_output`.
//!
//! onnxruntime fuses these patterns into its own int8 kernels, which rescale in float32, and
//! QuantizeLinear rounds half to even: expect agreement on top-1 and outputs within a few LSB of
//! the reference, not byte equality (docs/NUMERICS.md).

use super::onnx_proto as pb;
use crate::limits::InterpreterLimits;
use crate::model::{QLayer, QuantModel};
use crate::quant::clamp::Activation;
use crate::quant::params::TensorQuant;
use crate::shape::{output_size, Padding};
use crate::validate::{validate, Invalid};
use prost::Message;

/// Choices of the ONNX export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnnxOptions {
    /// Append DequantizeLinear so the model outputs float32 logits instead of int8.
    pub float_output: bool,
}

/// The opset we write (per-axis QuantizeLinear/DequantizeLinear need 13).
pub const OPSET: i64 = 13;
/// ONNX IR version 7 goes with opset 13.
const IR_VERSION: i64 = 7;

const FLOAT: i32 = 1;
const INT8: i32 = 3;
const INT32: i32 = 6;

fn attr_int(name: &str, v: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: Some(name.into()),
        r#type: Some(pb::attribute_proto::AttributeType::Int as i32),
        i: Some(v),
        ..Default::default()
    }
}

fn attr_ints(name: &str, v: Vec<i64>) -> pb::AttributeProto {
    pb::AttributeProto {
        name: Some(name.into()),
        r#type: Some(pb::attribute_proto::AttributeType::Ints as i32),
        ints: v,
        ..Default::default()
    }
}

fn value_info(name: &str, elem_type: i32, dims: &[i64]) -> pb::ValueInfoProto {
    let dim = dims
        .iter()
        .map(|&d| pb::tensor_shape_proto::Dimension {
            value: Some(pb::tensor_shape_proto::dimension::Value::DimValue(d)),
            ..Default::default()
        })
        .collect();
    let tensor = pb::type_proto::Tensor { elem_type: Some(elem_type), shape: Some(pb::TensorShapeProto { dim }) };
    pb::ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(pb::TypeProto { value: Some(pb::type_proto::Value::TensorType(tensor)), ..Default::default() }),
        ..Default::default()
    }
}

/// Nodes and initializers of the graph under construction, with unique names.
#[derive(Default)]
struct Graph {
    nodes: Vec<pb::NodeProto>,
    initializers: Vec<pb::TensorProto>,
    counter: usize,
}

impl Graph {
    fn fresh(&mut self, base: &str) -> String {
        self.counter += 1;
        format!("{base}#{}", self.counter)
    }

    fn node(&mut self, op: &str, inputs: Vec<String>, attributes: Vec<pb::AttributeProto>, base: &str) -> String {
        let out = self.fresh(base);
        let name = self.fresh(&format!("{base}/{op}"));
        self.nodes.push(pb::NodeProto {
            input: inputs,
            output: vec![out.clone()],
            name: Some(name),
            op_type: Some(op.into()),
            attribute: attributes,
            ..Default::default()
        });
        out
    }

    fn initializer(&mut self, base: &str, dims: Vec<i64>, data_type: i32, raw: Vec<u8>) -> String {
        let name = self.fresh(base);
        self.initializers.push(pb::TensorProto {
            dims,
            data_type: Some(data_type),
            raw_data: Some(raw),
            name: Some(name.clone()),
            ..Default::default()
        });
        name
    }

    fn floats(&mut self, base: &str, v: &[f32], scalar: bool) -> String {
        let dims = if scalar { vec![] } else { vec![v.len() as i64] };
        self.initializer(base, dims, FLOAT, v.iter().flat_map(|x| x.to_le_bytes()).collect())
    }

    fn int8_zeros(&mut self, base: &str, n: usize, scalar: bool, zero_point: i32) -> String {
        let dims = if scalar { vec![] } else { vec![n as i64] };
        self.initializer(base, dims, INT8, vec![zero_point as i8 as u8; n])
    }

    /// float -> int8 with `q` (scalar scale and zero point).
    fn quantize(&mut self, x: String, q: TensorQuant, base: &str) -> String {
        let s = self.floats(&format!("{base}/scale"), &[q.scale], true);
        let z = self.int8_zeros(&format!("{base}/zero_point"), 1, true, q.zero_point);
        self.node("QuantizeLinear", vec![x, s, z], vec![], base)
    }

    /// int8 -> float with `q`.
    fn dequantize(&mut self, x: String, q: TensorQuant, base: &str) -> String {
        let s = self.floats(&format!("{base}/scale"), &[q.scale], true);
        let z = self.int8_zeros(&format!("{base}/zero_point"), 1, true, q.zero_point);
        self.node("DequantizeLinear", vec![x, s, z], vec![], base)
    }

    /// Int8 weights (zero point 0) with per-axis or per-tensor scales, dequantized.
    fn weights(&mut self, base: &str, dims: Vec<i64>, values: Vec<i8>, scales: &[f32], per_axis: bool) -> String {
        let w = self.initializer(&format!("{base}/weights"), dims, INT8, values.iter().map(|&v| v as u8).collect());
        let s = self.floats(&format!("{base}/weight_scale"), scales, !per_axis);
        let z = self.int8_zeros(&format!("{base}/weight_zero_point"), scales.len(), !per_axis, 0);
        let attrs = if per_axis { vec![attr_int("axis", 0)] } else { vec![] };
        self.node("DequantizeLinear", vec![w, s, z], attrs, &format!("{base}/weights"))
    }

    /// Int32 biases at scale input_scale * weight_scale (zero point 0), dequantized.
    fn bias(&mut self, base: &str, bias: &[i32], input_scale: f32, weight_scales: &[f32]) -> String {
        let per_axis = weight_scales.len() > 1;
        let b = self.initializer(
            &format!("{base}/bias"),
            vec![bias.len() as i64],
            INT32,
            bias.iter().flat_map(|v| v.to_le_bytes()).collect(),
        );
        let scales: Vec<f32> = weight_scales.iter().map(|&s| (input_scale as f64 * s as f64) as f32).collect();
        let s = self.floats(&format!("{base}/bias_scale"), &scales, !per_axis);
        let z = if per_axis {
            self.initializer(
                &format!("{base}/bias_zero_point"),
                vec![scales.len() as i64],
                INT32,
                vec![0; 4 * scales.len()],
            )
        } else {
            self.initializer(&format!("{base}/bias_zero_point"), vec![], INT32, vec![0; 4])
        };
        let attrs = if per_axis { vec![attr_int("axis", 0)] } else { vec![] };
        self.node("DequantizeLinear", vec![b, s, z], attrs, &format!("{base}/bias"))
    }

    /// The fused activation, in float, before the output is requantized.
    fn activation(&mut self, x: String, a: Activation, base: &str) -> String {
        match a {
            Activation::None => x,
            Activation::Relu => self.node("Relu", vec![x], vec![], base),
            Activation::Relu6 => {
                let lo = self.floats(&format!("{base}/min"), &[0.0], true);
                let hi = self.floats(&format!("{base}/max"), &[6.0], true);
                self.node("Clip", vec![x, lo, hi], vec![], base)
            }
        }
    }
}

/// ONNX pads [top, left, bottom, right] and strides for a window on [h, w].
fn pads([h, w]: [u32; 2], [kh, kw]: [u32; 2], stride: u32, padding: Padding) -> Vec<i64> {
    let axis = |input: u32, k: u32| -> (i64, i64) {
        let (out, lead) = output_size(input, k, stride, padding).unwrap_or((1, 0));
        let total = ((out as i64 - 1) * stride as i64 + k as i64 - input as i64).max(0);
        (lead as i64, total - lead as i64)
    };
    let ((top, bottom), (left, right)) = (axis(h, kh), axis(w, kw));
    vec![top, left, bottom, right]
}

/// OHWI (or [KH, KW, C] for depthwise, as [1, KH, KW, C]) weights to ONNX's OIHW.
fn ohwi_to_oihw(w: &[i8], [o, kh, kw, i]: [usize; 4]) -> Vec<i8> {
    let mut out = vec![0i8; w.len()];
    for a in 0..o {
        for y in 0..kh {
            for x in 0..kw {
                for c in 0..i {
                    out[((a * i + c) * kh + y) * kw + x] = w[((a * kh + y) * kw + x) * i + c];
                }
            }
        }
    }
    out
}

/// The ONNX bytes of a valid int8 model.
pub fn to_onnx(model: &QuantModel, options: OnnxOptions) -> Result<Vec<u8>, Invalid> {
    let footprint = validate(model, &InterpreterLimits::default())?;
    let shapes = &footprint.shapes;
    let quants = model.tensor_quants();
    let mut g = Graph::default();
    let [h, w, c] = model.input_shape;
    let input = "input".to_string();
    // Each tensor as float NCHW (or [1, N] once flat), dequantized from its int8 values.
    let mut floats: Vec<String> = Vec::with_capacity(model.nodes.len() + 1);
    let q = g.quantize(input.clone(), model.input_quant, "input");
    let nchw = g.node("Transpose", vec![q], vec![attr_ints("perm", vec![0, 3, 1, 2])], "input");
    floats.push(g.dequantize(nchw, model.input_quant, "input"));
    let mut flat = vec![false];
    let mut last_int8 = String::new();
    for (k, node) in model.nodes.iter().enumerate() {
        let base = node.name.as_str();
        let x = floats[node.inputs[0]].clone();
        let [ih, iw, _] = shapes[node.inputs[0]];
        let s_in = quants[node.inputs[0]].scale;
        let q_out = quants[k + 1];
        let (y, is_flat) = match &node.op {
            QLayer::Conv2d {
                out_channels,
                kernel,
                in_channels,
                stride,
                padding,
                activation,
                weight_scales,
                bias,
                weights,
                ..
            } => {
                let dims = [*out_channels as usize, kernel[0] as usize, kernel[1] as usize, *in_channels as usize];
                let wf = g.weights(
                    base,
                    vec![dims[0] as i64, dims[3] as i64, dims[1] as i64, dims[2] as i64],
                    ohwi_to_oihw(weights, dims),
                    weight_scales,
                    true,
                );
                let bf = g.bias(base, bias, s_in, weight_scales);
                let attrs = vec![
                    attr_ints("kernel_shape", vec![kernel[0] as i64, kernel[1] as i64]),
                    attr_ints("strides", vec![*stride as i64; 2]),
                    attr_ints("pads", pads([ih, iw], *kernel, *stride, *padding)),
                ];
                let y = g.node("Conv", vec![x, wf, bf], attrs, base);
                (g.activation(y, *activation, base), false)
            }
            QLayer::DepthwiseConv2d {
                channels,
                kernel,
                stride,
                padding,
                activation,
                weight_scales,
                bias,
                weights,
                ..
            } => {
                // [KH, KW, C] is OHWI with O = 1, I = C; ONNX wants [C, 1, KH, KW] with group C.
                let oihw = ohwi_to_oihw(weights, [1, kernel[0] as usize, kernel[1] as usize, *channels as usize]);
                let wf = g.weights(
                    base,
                    vec![*channels as i64, 1, kernel[0] as i64, kernel[1] as i64],
                    oihw,
                    weight_scales,
                    true,
                );
                let bf = g.bias(base, bias, s_in, weight_scales);
                let attrs = vec![
                    attr_ints("kernel_shape", vec![kernel[0] as i64, kernel[1] as i64]),
                    attr_ints("strides", vec![*stride as i64; 2]),
                    attr_ints("pads", pads([ih, iw], *kernel, *stride, *padding)),
                    attr_int("group", *channels as i64),
                ];
                let y = g.node("Conv", vec![x, wf, bf], attrs, base);
                (g.activation(y, *activation, base), false)
            }
            QLayer::MaxPool { size, stride } => {
                let attrs = vec![
                    attr_ints("kernel_shape", vec![*size as i64; 2]),
                    attr_ints("strides", vec![*stride as i64; 2]),
                ];
                (g.node("MaxPool", vec![x], attrs, base), false)
            }
            QLayer::AvgPool { size, stride, padding } => {
                let attrs = vec![
                    attr_ints("kernel_shape", vec![*size as i64; 2]),
                    attr_ints("strides", vec![*stride as i64; 2]),
                    attr_ints("pads", pads([ih, iw], [*size, *size], *stride, *padding)),
                    attr_int("count_include_pad", 0),
                ];
                (g.node("AveragePool", vec![x], attrs, base), false)
            }
            QLayer::Mean { .. } => (g.node("GlobalAveragePool", vec![x], vec![], base), false),
            QLayer::Flatten => {
                // Back to NHWC first, so the flat order is ours.
                let nhwc = if flat[node.inputs[0]] {
                    x
                } else {
                    g.node("Transpose", vec![x], vec![attr_ints("perm", vec![0, 2, 3, 1])], base)
                };
                (g.node("Flatten", vec![nhwc], vec![attr_int("axis", 1)], base), true)
            }
            QLayer::FullyConnected { units, inputs, activation, weight_scale, bias, weights, .. } => {
                // The validated input is [1, 1, 1, K] or already flat.
                let x =
                    if flat[node.inputs[0]] { x } else { g.node("Flatten", vec![x], vec![attr_int("axis", 1)], base) };
                let wf = g.weights(base, vec![*units as i64, *inputs as i64], weights.clone(), &[*weight_scale], false);
                let bf = g.bias(base, bias, s_in, &[*weight_scale]);
                let y = g.node("Gemm", vec![x, wf, bf], vec![attr_int("transB", 1)], base);
                (g.activation(y, *activation, base), true)
            }
            QLayer::Add { activation, .. } => {
                let y = g.node("Add", vec![x, floats[node.inputs[1]].clone()], vec![], base);
                (g.activation(y, *activation, base), flat[node.inputs[0]])
            }
            QLayer::Concat => {
                let parts = node.inputs.iter().map(|&t| floats[t].clone()).collect();
                (g.node("Concat", parts, vec![attr_int("axis", 1)], base), false)
            }
        };
        // Every tensor is requantized onto its int8 grid, as the int8 model holds it.
        let yq = g.quantize(y, q_out, base);
        last_int8 = yq.clone();
        floats.push(g.dequantize(yq, q_out, base));
        flat.push(is_flat);
    }
    let classes = shapes.last().map_or(1, |s| s[2]) as i64;
    let (output, elem_type) =
        if options.float_output { (floats.last().cloned().unwrap_or_default(), FLOAT) } else { (last_int8, INT8) };
    // Name the graph output plainly.
    let logits = if elem_type == INT8 { "logits" } else { "logits_float" };
    g.nodes.push(pb::NodeProto {
        input: vec![output],
        output: vec![logits.into()],
        name: Some("output/Identity".into()),
        op_type: Some("Identity".into()),
        ..Default::default()
    });
    let graph = pb::GraphProto {
        node: g.nodes,
        name: Some("wgpu-qat".into()),
        initializer: g.initializers,
        input: vec![value_info(&input, FLOAT, &[1, h as i64, w as i64, c as i64])],
        output: vec![value_info(logits, elem_type, &[1, classes])],
        ..Default::default()
    };
    let proto = pb::ModelProto {
        ir_version: Some(IR_VERSION),
        opset_import: vec![pb::OperatorSetIdProto { domain: Some(String::new()), version: Some(OPSET) }],
        producer_name: Some("wgpu-qat".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        graph: Some(graph),
        ..Default::default()
    };
    Ok(proto.encode_to_vec())
}
