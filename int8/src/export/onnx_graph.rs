//! The ONNX graph under construction: nodes and initializers with unique names, and the QDQ
//! helpers every op's lowering uses (`crate::ops`; `onnx` drives them).

use super::onnx_proto as pb;
use crate::quant::clamp::Activation;
use crate::quant::params::TensorQuant;
use crate::shape::{window, Padding};

pub(crate) const FLOAT: i32 = 1;
pub(crate) const INT8: i32 = 3;
pub(crate) const INT64: i32 = 7;
pub(crate) const INT32: i32 = 6;

pub(crate) fn attr_int(name: &str, v: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: Some(name.into()),
        r#type: Some(pb::attribute_proto::AttributeType::Int as i32),
        i: Some(v),
        ..Default::default()
    }
}

pub(crate) fn attr_ints(name: &str, v: Vec<i64>) -> pb::AttributeProto {
    pb::AttributeProto {
        name: Some(name.into()),
        r#type: Some(pb::attribute_proto::AttributeType::Ints as i32),
        ints: v,
        ..Default::default()
    }
}

/// A graph input or output of `dims` after its first, the batch, which is named `batch` and free.
pub(crate) fn value_info(name: &str, elem_type: i32, dims: &[i64]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{dimension::Value, Dimension};
    let batch = Dimension { value: Some(Value::DimParam("batch".into())), ..Default::default() };
    let dim = std::iter::once(batch)
        .chain(dims.iter().map(|&d| Dimension { value: Some(Value::DimValue(d)), ..Default::default() }))
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
pub(crate) struct Graph {
    pub nodes: Vec<pb::NodeProto>,
    pub initializers: Vec<pb::TensorProto>,
    counter: usize,
}

impl Graph {
    pub fn fresh(&mut self, base: &str) -> String {
        self.counter += 1;
        format!("{base}#{}", self.counter)
    }

    pub fn node(&mut self, op: &str, inputs: Vec<String>, attributes: Vec<pb::AttributeProto>, base: &str) -> String {
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

    pub fn initializer(&mut self, base: &str, dims: Vec<i64>, data_type: i32, raw: Vec<u8>) -> String {
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

    pub fn floats(&mut self, base: &str, v: &[f32], scalar: bool) -> String {
        let dims = if scalar { vec![] } else { vec![v.len() as i64] };
        self.initializer(base, dims, FLOAT, v.iter().flat_map(|x| x.to_le_bytes()).collect())
    }

    pub fn int8_zeros(&mut self, base: &str, n: usize, scalar: bool, zero_point: i32) -> String {
        let dims = if scalar { vec![] } else { vec![n as i64] };
        self.initializer(base, dims, INT8, vec![zero_point as i8 as u8; n])
    }

    /// float -> int8 with `q` (scalar scale and zero point).
    pub fn quantize(&mut self, x: String, q: TensorQuant, base: &str) -> String {
        let s = self.floats(&format!("{base}/scale"), &[q.scale], true);
        let z = self.int8_zeros(&format!("{base}/zero_point"), 1, true, q.zero_point);
        self.node("QuantizeLinear", vec![x, s, z], vec![], base)
    }

    /// int8 -> float with `q`.
    pub fn dequantize(&mut self, x: String, q: TensorQuant, base: &str) -> String {
        let s = self.floats(&format!("{base}/scale"), &[q.scale], true);
        let z = self.int8_zeros(&format!("{base}/zero_point"), 1, true, q.zero_point);
        self.node("DequantizeLinear", vec![x, s, z], vec![], base)
    }

    /// Int8 weights (zero point 0) with per-axis or per-tensor scales, dequantized.
    pub fn weights(&mut self, base: &str, dims: Vec<i64>, values: Vec<i8>, scales: &[f32], per_axis: bool) -> String {
        let w = self.initializer(&format!("{base}/weights"), dims, INT8, values.iter().map(|&v| v as u8).collect());
        let s = self.floats(&format!("{base}/weight_scale"), scales, !per_axis);
        let z = self.int8_zeros(&format!("{base}/weight_zero_point"), scales.len(), !per_axis, 0);
        let attrs = if per_axis { vec![attr_int("axis", 0)] } else { vec![] };
        self.node("DequantizeLinear", vec![w, s, z], attrs, &format!("{base}/weights"))
    }

    /// Int32 biases at scale input_scale * weight_scale (zero point 0), dequantized.
    pub fn bias(&mut self, base: &str, bias: &[i32], input_scale: f32, weight_scales: &[f32]) -> String {
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
    pub fn activation(&mut self, x: String, a: Activation, base: &str) -> String {
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
pub(crate) fn pads(input: [u32; 2], kernel: [u32; 2], stride: u32, padding: Padding) -> Vec<i64> {
    let p = window(input, kernel, stride, padding).map(|w| w.pads).unwrap_or_default();
    [p.top, p.left, p.bottom, p.right].iter().map(|&v| v as i64).collect()
}

/// OHWI (or [KH, KW, C] for depthwise, as [1, KH, KW, C]) weights to ONNX's OIHW.
pub(crate) fn ohwi_to_oihw(w: &[i8], [o, kh, kw, i]: [usize; 4]) -> Vec<i8> {
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

/// What an op's lowering sees of its node: its name and the float values it reads (each
/// dequantized from its int8 tensor), with their layout, shapes and quantization.
pub(crate) struct Node<'a> {
    /// The node's name.
    pub name: &'a str,
    /// The float values read, NCHW or flat.
    pub inputs: Vec<String>,
    /// Whether each input is flat ([1, N]) rather than NCHW.
    pub flat: Vec<bool>,
    /// The inputs' [h, w, c].
    pub shapes: Vec<[u32; 3]>,
    /// The inputs' quantization.
    pub quants: Vec<TensorQuant>,
}

/// An op's float result before it is requantized, and whether it is flat.
pub(crate) struct Lowered {
    /// The value's name.
    pub value: String,
    /// Flat ([1, N]) rather than NCHW.
    pub flat: bool,
}
