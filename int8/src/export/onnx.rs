//! The int8 model as ONNX in the QDQ form that onnxruntime and the ONNX toolchain expect:
//! float operators (Conv, Gemm, MaxPool, AveragePool, GlobalAveragePool, Add, Concat) between
//! QuantizeLinear / DequantizeLinear pairs that carry our scales and zero points, weights stored
//! as int8 initializers behind DequantizeLinear (per output channel on axis 0 for Conv and
//! depthwise Conv, per tensor for Gemm), biases as int32 at scale input_scale * weight_scale.
//! Opset 13, written with prost over the vendored `onnx.proto` (`onnx_proto`).
//!
//! Layout: the input is float32 [batch, H, W, C] like the `.tflite`'s (the same float input; or
//! [batch, C, H, W] with `Layout::Nchw`), it is quantized, transposed to NCHW for ONNX's Conv,
//! and transposed back before a flatten so that flattening keeps our NHWC order. The output is
//! the int8 logits [batch, classes], or float32 with `float_output`; the batch is free.
//!
//! onnxruntime fuses these patterns into its own int8 kernels, which rescale in float32, and
//! QuantizeLinear rounds half to even: expect agreement on top-1 and outputs within a few LSB of
//! the reference, not byte equality (docs/NUMERICS.md).

use super::onnx_graph::{attr_ints, value_info, Graph, Lowered, Node, FLOAT, INT64, INT8};
use super::onnx_proto as pb;
use crate::limits::InterpreterLimits;
use crate::model::QuantModel;
use crate::validate::{validate, Invalid};
use prost::Message;

/// Choices of the ONNX export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnnxOptions {
    /// Append DequantizeLinear so the model outputs float32 logits instead of int8.
    pub float_output: bool,
    /// The layout of the float input the model takes.
    pub layout: Layout,
}

/// The layout of the exported model's float input (the batch first either way).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Layout {
    /// [batch, H, W, C], as the `.tflite` takes it.
    #[default]
    Nhwc,
    /// [batch, C, H, W], as a PyTorch pipeline has it.
    Nchw,
}

/// The opset we write (per-axis QuantizeLinear/DequantizeLinear need 13).
pub const OPSET: i64 = 13;
/// ONNX IR version 7 goes with opset 13.
const IR_VERSION: i64 = 7;

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
    let (nchw, input_dims) = match options.layout {
        Layout::Nhwc => (g.node("Transpose", vec![q], vec![attr_ints("perm", vec![0, 3, 1, 2])], "input"), [h, w, c]),
        Layout::Nchw => (q, [c, h, w]),
    };
    let input_dims: Vec<i64> = input_dims.iter().map(|&d| d as i64).collect();
    floats.push(g.dequantize(nchw, model.input_quant, "input"));
    let mut flat = vec![false];
    let mut last_int8 = String::new();
    for (k, node) in model.nodes.iter().enumerate() {
        let q_out = quants[k + 1];
        // A flat input of an op that reads images becomes one pixel, [N, C, 1, 1].
        let mut inputs: Vec<String> = node.inputs.iter().map(|&t| floats[t].clone()).collect();
        if node.op.reads_images() {
            for (x, &t) in inputs.iter_mut().zip(&node.inputs).filter(|(_, &t)| flat[t]) {
                let c = shapes[t][2] as i64;
                let raw = [-1i64, c, 1, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
                let shape = g.initializer(&format!("{}/as_image", node.name), vec![4], INT64, raw);
                *x = g.node("Reshape", vec![x.clone(), shape], vec![], &format!("{}/as_image", node.name));
            }
        }
        let lowering = Node {
            name: &node.name,
            inputs,
            flat: node.inputs.iter().map(|&t| flat[t] && !node.op.reads_images()).collect(),
            shapes: node.inputs.iter().map(|&t| shapes[t]).collect(),
            quants: node.inputs.iter().map(|&t| quants[t]).collect(),
        };
        let base = node.name.as_str();
        let Lowered { value: y, flat: is_flat } = node.op.to_onnx(&mut g, &lowering);
        // Every tensor is requantized onto its int8 grid, as the int8 model holds it.
        let yq = g.quantize(y, q_out, base);
        last_int8 = yq.clone();
        floats.push(g.dequantize(yq, q_out, base));
        flat.push(is_flat);
    }
    let classes = shapes.last().map_or(1, |s| s[2]) as i64;
    let mut float_logits = floats.last().cloned().unwrap_or_default();
    if !flat.last().copied().unwrap_or(true) {
        // Logits made by a pooling ([N, classes, 1, 1]) are given as [N, classes].
        let axis = vec![super::onnx_graph::attr_int("axis", 1)];
        last_int8 = g.node("Flatten", vec![last_int8], axis.clone(), "logits/int8");
        float_logits = g.node("Flatten", vec![float_logits], axis, "logits/float");
    }
    let (output, elem_type) = if options.float_output { (float_logits, FLOAT) } else { (last_int8, INT8) };
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
        input: vec![value_info(&input, FLOAT, &input_dims)],
        output: vec![value_info(logits, elem_type, &[classes])],
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
