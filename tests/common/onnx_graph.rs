//! Hand-built ONNX models for the importer's tests: nodes, attributes, float initializers and a
//! model around them (opset 13, one float input `x`, the output `y`).

use prost::Message;
use qat_int8::export::onnx_proto as pb;

/// A model of `nodes` on a float input `x` of `input` dims (NCHW; the first, the batch, is named
/// `batch` and free), its output `y`.
pub fn model(nodes: Vec<pb::NodeProto>, initializers: Vec<pb::TensorProto>, input: &[i64]) -> Vec<u8> {
    let value = |name: &str, dims: &[i64]| pb::ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(pb::TypeProto {
            denotation: None,
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: Some(1),
                shape: Some(pb::TensorShapeProto {
                    dim: dims
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| pb::tensor_shape_proto::Dimension {
                            denotation: None,
                            value: Some(if i == 0 {
                                pb::tensor_shape_proto::dimension::Value::DimParam("batch".into())
                            } else {
                                pb::tensor_shape_proto::dimension::Value::DimValue(v)
                            }),
                        })
                        .collect(),
                }),
            })),
        }),
        ..Default::default()
    };
    let graph = pb::GraphProto {
        node: nodes,
        name: Some("test".into()),
        initializer: initializers,
        input: vec![value("x", input)],
        output: vec![pb::ValueInfoProto { name: Some("y".into()), ..Default::default() }],
        ..Default::default()
    };
    let opset = pb::OperatorSetIdProto { domain: Some(String::new()), version: Some(13) };
    pb::ModelProto { graph: Some(graph), ir_version: Some(8), opset_import: vec![opset], ..Default::default() }
        .encode_to_vec()
}

/// A node `name` running `op` on `inputs`, writing `output`.
pub fn node(op: &str, name: &str, inputs: &[&str], output: &str, attrs: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        op_type: Some(op.into()),
        name: Some(name.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute: attrs,
        ..Default::default()
    }
}

/// An integer-list attribute.
pub fn ints(name: &str, v: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto { name: Some(name.into()), ints: v.to_vec(), r#type: Some(7), ..Default::default() }
}

/// An integer attribute.
pub fn int(name: &str, v: i64) -> pb::AttributeProto {
    pb::AttributeProto { name: Some(name.into()), i: Some(v), r#type: Some(2), ..Default::default() }
}

/// A float initializer of `dims` holding `values`.
pub fn tensor(name: &str, dims: &[i64], values: Vec<f32>) -> pb::TensorProto {
    pb::TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(1),
        float_data: values,
        ..Default::default()
    }
}

/// A float initializer of `dims` holding 0, 0.01, 0.02, ...
pub fn ramp(name: &str, dims: &[i64]) -> pb::TensorProto {
    let n: i64 = dims.iter().product();
    tensor(name, dims, (0..n).map(|i| i as f32 * 0.01).collect())
}

/// A float initializer of `dims` with seeded values in [-scale, scale].
pub fn random(name: &str, dims: &[i64], seed: u64, scale: f32) -> pb::TensorProto {
    let n: i64 = dims.iter().product();
    let mut rng = wgpu_qat::data::rng::Rng::new(seed);
    tensor(name, dims, (0..n).map(|_| rng.uniform(-scale, scale)).collect())
}
