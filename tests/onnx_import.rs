//! GPU-free: the ONNX importer on the fixtures (the graph and weights it makes) and on bad
//! input: truncated and non-ONNX files, unsupported ops and paddings, named by file, node and
//! op type; `qat import` writes a spec and weights that read back as the imported model.

mod common;

use common::onnx_graph::{self, ints, ramp as weights};
use prost::Message;
use qat_int8::export::onnx_proto as pb;
use qat_int8::quant::clamp::Activation;
use std::path::{Path, PathBuf};
use wgpu_qat::import::onnx::{import, read};
use wgpu_qat::model::kinds::Layer;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx").join(name)
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qat-onnx-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_pytorch_fixture_imports_as_its_layers_with_batch_norm_depthwise_and_relu6() {
    let m = read(&fixture("pytorch_dwbn.onnx")).unwrap();
    let kinds: Vec<&str> = m.spec.nodes.iter().map(|n| n.layer.op_name()).collect();
    assert_eq!(
        kinds,
        [
            "conv2d",
            "max_pool",
            "depthwise_conv2d",
            "conv2d",
            "add",
            "max_pool",
            "depthwise_conv2d",
            "conv2d",
            "flatten",
            "dense"
        ]
    );
    assert_eq!(m.spec.input, [28, 28, 1]);
    let Layer::DepthwiseConv2d(dw) = &m.spec.nodes[2].layer else { unreachable!() };
    assert!(dw.batch_norm && dw.activation == Activation::Relu6);
    let Layer::Add(add) = &m.spec.nodes[4].layer else { unreachable!() };
    assert_eq!(add.activation, Activation::Relu);
    assert_eq!(m.spec.nodes[4].inputs, vec![2, 4], "the residual reads the pool and the pointwise conv");
    // Batch norm kept as ours (no bias), dense over the 7x7x32 flattening.
    assert!(m.params[0].bn.is_some() && m.params[0].bias.is_empty());
    assert_eq!(m.params.last().unwrap().weight.len(), 10 * 7 * 7 * 32);
    assert!(m.notes.is_empty());
}

#[test]
fn the_tf2onnx_fixture_follows_its_transposes_and_folds_mul_add() {
    let m = read(&fixture("keras_dwbn.onnx")).unwrap();
    let kinds: Vec<&str> = m.spec.nodes.iter().map(|n| n.layer.op_name()).collect();
    assert_eq!(
        kinds,
        ["conv2d", "depthwise_conv2d", "conv2d", "depthwise_conv2d", "conv2d", "global_avg_pool", "dense"]
    );
    let Layer::Conv2d(stem) = &m.spec.nodes[0].layer else { unreachable!() };
    assert_eq!((stem.stride, stem.activation), (2, Activation::Relu6));
}

/// A one-node-after-input ONNX model: input [1, 1, 8, 8] -> `node` -> graph output "y".
/// A model of one node (its output `y`) on an input `x` of [1, 1, 8, 8].
fn model_with(node: pb::NodeProto, initializers: Vec<pb::TensorProto>) -> Vec<u8> {
    onnx_graph::model(vec![node], initializers, &[1, 1, 8, 8])
}

fn node(op: &str, name: &str, inputs: &[&str], attrs: Vec<pb::AttributeProto>) -> pb::NodeProto {
    onnx_graph::node(op, name, inputs, "y", attrs)
}

/// PyTorch's padding: symmetric [1, 1, 1, 1] at stride 2 (not TensorFlow's "same" there), a 7x7
/// stem's [3, 3, 3, 3] and its max pool's [1, 1, 1, 1] import as explicit padding ([top, bottom, left, right] here, from
/// ONNX's [top, left, bottom, right]); uneven sides too; a bias shared through an Identity (as
/// the exporter shares equal initializers) is that constant; a trailing LogSoftmax is dropped.
#[test]
fn pytorch_paddings_import_as_explicit_padding() {
    use qat_int8::shape::{Padding, Pads};
    use wgpu_qat::model::kinds::Layer;
    let out = |n: pb::NodeProto, to: &str| pb::NodeProto { output: vec![to.into()], ..n };
    let nodes = vec![
        out(node("Conv", "stem", &["x", "w1"], vec![ints("pads", &[3, 3, 3, 3]), ints("strides", &[2, 2])]), "a"),
        out(
            node(
                "MaxPool",
                "stem_pool",
                &["a"],
                vec![ints("kernel_shape", &[3, 3]), ints("strides", &[2, 2]), ints("pads", &[1, 1, 1, 1])],
            ),
            "a1",
        ),
        out(node("Conv", "down", &["a1", "w2"], vec![ints("pads", &[1, 1, 1, 1]), ints("strides", &[2, 2])]), "b"),
        out(node("Conv", "uneven", &["b", "w3"], vec![ints("pads", &[0, 1, 2, 0])]), "c"),
        out(node("GlobalAveragePool", "pool", &["c"], vec![]), "d"),
        out(node("Flatten", "flat", &["d"], vec![]), "e"),
        out(node("Identity", "shared", &["b4"], vec![]), "b4_shared"),
        out(
            node(
                "Gemm",
                "fc",
                &["e", "w4", "b4_shared"],
                vec![pb::AttributeProto {
                    name: Some("transB".into()),
                    i: Some(1),
                    r#type: Some(2),
                    ..Default::default()
                }],
            ),
            "f",
        ),
        // A trailing LogSoftmax keeps the logits' order: dropped.
        node("LogSoftmax", "log_probs", &["f"], vec![]),
    ];
    let inits = vec![
        weights("w1", &[4, 1, 7, 7]),
        weights("w2", &[4, 4, 3, 3]),
        weights("w3", &[4, 4, 3, 2]),
        weights("w4", &[3, 4]),
        weights("b4", &[3]),
    ];
    let imported = import(Path::new("padded.onnx"), &onnx_graph::model(nodes, inits, &[1, 1, 8, 8])).unwrap();
    let padding = |k: usize| match &imported.spec.nodes[k].layer {
        Layer::Conv2d(c) => c.padding,
        Layer::MaxPool(p) => p.padding,
        other => panic!("node {k} is {other:?}"),
    };
    let explicit = |top, bottom, left, right| Padding::Explicit(Pads { top, bottom, left, right });
    assert_eq!(padding(0), explicit(3, 3, 3, 3));
    assert_eq!(padding(1), explicit(1, 1, 1, 1));
    assert_eq!(padding(2), explicit(1, 1, 1, 1));
    assert_eq!(padding(3), explicit(0, 2, 1, 0));
    // 8x8 -> (8 + 6 - 7) / 2 + 1 = 4 -> pool (4 + 2 - 3) / 2 + 1 = 2 -> (2 + 2 - 3) / 2 + 1 = 1
    // -> 1 + 2 - 3 + 1 = 1 by 1 + 1 - 2 + 1 = 1.
    assert!(imported.notes.iter().any(|n| n.contains("LogSoftmax")), "{:?}", imported.notes);
    let shapes = imported.spec.shapes().unwrap();
    assert_eq!(&shapes[..4], &[[4, 4, 4], [2, 2, 4], [1, 1, 4], [1, 1, 4]]);
}

/// A classifier head as Keras' MobileNet writes it: the pooled features reshaped to [batch, C, 1,
/// 1] (the same bytes), a 1x1 conv to the classes (a dense layer of a 1x1 input) and a flatten.
#[test]
fn a_conv_classifier_head_imports_as_a_dense_layer() {
    let m = read(&fixture("pytorch_conv_head.onnx")).unwrap();
    let kinds: Vec<&str> = m.spec.nodes.iter().map(|n| n.layer.op_name()).collect();
    assert_eq!(kinds, ["conv2d", "max_pool", "conv2d", "global_avg_pool", "dense"]);
    assert_eq!(m.spec.shapes().unwrap().last(), Some(&[1, 1, 10]));
    let head = m.params.last().expect("the head's weights: one entry per weighted node");
    assert_eq!((head.weight.len(), head.bias.len()), (10 * 32, 10));
}

#[test]
fn unsupported_ops_paddings_and_damaged_files_are_refused_by_name() {
    let p = Path::new("m.onnx");
    // An op we do not have: the node's name and op type, and what is supported.
    let e = import(p, &model_with(node("Sigmoid", "gate", &["x"], vec![]), vec![])).unwrap_err().to_string();
    assert!(e.contains("m.onnx") && e.contains("\"gate\" (Sigmoid)") && e.contains("supported: Conv"), "{e}");
    // Padding as wide as the kernel.
    let conv = node("Conv", "down", &["x", "w"], vec![ints("pads", &[3, 1, 1, 1]), ints("strides", &[2, 2])]);
    let e = import(p, &model_with(conv, vec![weights("w", &[4, 1, 3, 3])])).unwrap_err().to_string();
    assert!(e.contains("\"down\" (Conv)") && e.contains("pads [3, 1, 1, 1]") && e.contains("less than the 3x3"), "{e}");
    // Grouped convolutions other than depthwise.
    let group = pb::AttributeProto { name: Some("group".into()), i: Some(2), r#type: Some(2), ..Default::default() };
    let conv = node("Conv", "grouped", &["x", "w"], vec![group]);
    let e = import(p, &model_with(conv, vec![weights("w", &[4, 1, 3, 3])])).unwrap_err().to_string();
    assert!(e.contains("\"grouped\" (Conv)") && e.contains("group"), "{e}");
    // Dilation.
    let conv = node("Conv", "holes", &["x", "w"], vec![ints("dilations", &[2, 2])]);
    let e = import(p, &model_with(conv, vec![weights("w", &[4, 1, 3, 3])])).unwrap_err().to_string();
    assert!(e.contains("\"holes\" (Conv)") && e.contains("dilation"), "{e}");

    // Truncated, empty and foreign files.
    let good = std::fs::read(fixture("pytorch_dwbn.onnx")).unwrap();
    let e = import(p, &good[..good.len() / 2]).unwrap_err().to_string();
    assert!(e.contains("m.onnx") && e.contains("not an ONNX model"), "{e}");
    let e = import(p, b"PK\x03\x04 a zip file, not a model").unwrap_err().to_string();
    assert!(e.contains("m.onnx"), "{e}");
    let e = import(p, &pb::ModelProto::default().encode_to_vec()).unwrap_err().to_string();
    assert!(e.contains("no graph"), "{e}");
    let e = read(Path::new("/nonexistent/model.onnx")).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/model.onnx"), "{e}");
}

#[test]
fn qat_import_writes_a_spec_and_weights_that_read_back_as_the_imported_model() {
    let dir = tmp_dir("cli");
    let out = dir.join("net.toml");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_qat"))
        .args(["import", fixture("pytorch_dwbn.onnx").to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let imported = read(&fixture("pytorch_dwbn.onnx")).unwrap();
    let spec = wgpu_qat::model::file::read(&out).unwrap();
    assert_eq!((spec.input, &spec.nodes), (imported.spec.input, &imported.spec.nodes));
    let params = wgpu_qat::model::float_weights::read(&dir.join("net.safetensors"), &spec).unwrap();
    assert_eq!(params.len(), imported.params.len());
    for (a, b) in params.iter().zip(&imported.params) {
        assert_eq!((&a.weight, &a.bias), (&b.weight, &b.bias));
        assert_eq!(a.bn.as_ref().map(|b| &b.moving_var), b.bn.as_ref().map(|b| &b.moving_var));
    }
}

/// Mutated fixtures (bytes flipped, truncated, spliced) are imported or refused, never a panic.
#[test]
fn mutated_onnx_files_never_panic() {
    let good = std::fs::read(fixture("keras_dwbn.onnx")).unwrap();
    let mut rng = wgpu_qat::data::rng::Rng::new(77);
    let p = Path::new("mutated.onnx");
    for round in 0..400 {
        let mut bytes = good.clone();
        match round % 3 {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(bytes.len());
                    bytes[i] ^= 1 << rng.below(8);
                }
            }
            1 => bytes.truncate(rng.below(bytes.len())),
            _ => {
                let (a, b) = (rng.below(bytes.len()), rng.below(bytes.len()));
                let chunk: Vec<u8> = bytes[a.min(b)..a.max(b)].to_vec();
                let at = rng.below(bytes.len());
                bytes.splice(at..at, chunk);
            }
        }
        let _ = import(p, &bytes);
    }
}

/// A model and data that do not fit each other are refused before any training, naming both:
/// the 28x28x1 ONNX model on CIFAR-10-format data, and a built-in 28x28x1 model on it too.
#[test]
fn a_model_and_data_of_other_shapes_are_refused_by_name() {
    let dir = tmp_dir("mismatch");
    let record: Vec<u8> = std::iter::once(3u8).chain((0..3072).map(|i| (i % 251) as u8)).collect();
    std::fs::write(dir.join("data_batch_1.bin"), record.repeat(4)).unwrap();
    std::fs::write(dir.join("test_batch.bin"), record.repeat(2)).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qat")).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let onnx = fixture("pytorch_dwbn.onnx");
    let d = dir.to_str().unwrap();
    let err =
        run(&["train", "--init", onnx.to_str().unwrap(), "--data", d, "--out", dir.join("m.qat").to_str().unwrap()]);
    assert!(
        err.contains("pytorch_dwbn") && err.contains("[28, 28, 1]") && err.contains("[32, 32, 3]") && err.contains(d),
        "{err}"
    );
    let err = run(&["train", "--model", "mnist-cnn", "--data", d, "--out", dir.join("m.qat").to_str().unwrap()]);
    assert!(err.contains("mnist-cnn") && err.contains("[32, 32, 3]"), "{err}");
    // --init with an ONNX file brings its own graph: --model beside it is refused.
    let err = run(&["train", "--model", "mnist-cnn", "--init", onnx.to_str().unwrap(), "--data", d]);
    assert!(err.contains("leave out --model"), "{err}");
}

#[test]
fn wide_integer_attributes_and_damaged_weights_are_refused_by_node_and_tensor() {
    let p = Path::new("m.onnx");
    // 2^32 + 1 once imported as 1: strides, pool windows and groups are checked as i64.
    let conv = node("Conv", "wide", &["x", "w"], vec![ints("strides", &[4294967297, 4294967297])]);
    let e = import(p, &model_with(conv, vec![weights("w", &[4, 1, 3, 3])])).unwrap_err().to_string();
    assert!(e.contains("\"wide\" (Conv)") && e.contains("strides 4294967297 is outside 1..=64"), "{e}");
    let pool = node("MaxPool", "window", &["x"], vec![ints("kernel_shape", &[4294967298, 4294967298])]);
    let e = import(p, &model_with(pool, vec![])).unwrap_err().to_string();
    assert!(e.contains("\"window\" (MaxPool)") && e.contains("kernel_shape 4294967298 is outside 1..=64"), "{e}");
    let group =
        pb::AttributeProto { name: Some("group".into()), i: Some(1 << 33), r#type: Some(2), ..Default::default() };
    let conv = node("Conv", "groups", &["x", "w"], vec![group]);
    let e = import(p, &model_with(conv, vec![weights("w", &[4, 1, 3, 3])])).unwrap_err().to_string();
    assert!(e.contains("\"groups\" (Conv)") && e.contains("group 8589934592 is outside"), "{e}");
    // A 10^7-entry attribute is quoted by its first values and its length.
    let conv = node("Conv", "long", &["x", "w"], vec![ints("strides", &vec![2; 10_000_000])]);
    let e = import(p, &model_with(conv, vec![weights("w", &[4, 1, 3, 3])])).unwrap_err().to_string();
    assert!(e.contains("(10000000 values)") && e.len() < 600, "{} bytes: {}", e.len(), &e[..e.len().min(600)]);
    // NaN, infinite and absurd weights are refused naming the initializer, before training.
    for (bad, needle) in [(f32::NAN, "NaN"), (f32::INFINITY, "inf"), (3e38, "3e38")] {
        let mut w = weights("w", &[4, 1, 3, 3]);
        w.float_data[7] = bad;
        let conv = node("Conv", "conv", &["x", "w"], vec![]);
        let e = import(p, &model_with(conv, vec![w])).unwrap_err().to_string();
        assert!(e.contains("initializer \"w\"") && e.contains(needle) && e.contains("at index 7"), "{bad}: {e}");
    }
}

/// An int64 initializer (Pad's pads).
fn int64s(name: &str, v: &[i64]) -> pb::TensorProto {
    pb::TensorProto {
        name: Some(name.into()),
        dims: vec![v.len() as i64],
        data_type: Some(7),
        int64_data: v.to_vec(),
        ..Default::default()
    }
}

/// Keras' ZeroPadding2D before a stride-2 conv and ResNet-50's before its max pool (tf2onnx
/// writes both as Pad nodes), and torch's export of an average pool (a Pad of nothing, then a
/// pool over the whole input): the Pads fold into the window that reads them, and the pool is
/// global average pooling.
#[test]
fn pad_nodes_fold_into_the_window_that_reads_them() {
    use qat_int8::shape::{Padding, Pads};
    let out = |n: pb::NodeProto, to: &str| pb::NodeProto { output: vec![to.into()], ..n };
    let nodes = |avg_pads: &'static str| {
        vec![
            out(node("Pad", "conv_pad", &["x", "pads_br"], vec![]), "xp"),
            out(node("Conv", "conv", &["xp", "w1"], vec![ints("strides", &[2, 2])]), "a"),
            out(node("Relu", "relu", &["a"], vec![]), "a1"),
            out(node("Pad", "pool_pad", &["a1", "pads_all"], vec![]), "a2"),
            out(node("MaxPool", "pool", &["a2"], vec![ints("kernel_shape", &[3, 3]), ints("strides", &[2, 2])]), "b"),
            out(node("Pad", "nothing", &["b", avg_pads], vec![]), "b1"),
            out(
                node("AveragePool", "avg", &["b1"], vec![ints("kernel_shape", &[2, 2]), ints("strides", &[2, 2])]),
                "c",
            ),
            out(node("Flatten", "flat", &["c"], vec![]), "d"),
            out(node("Gemm", "fc", &["d", "w2", "b2"], vec![onnx_graph::int("transB", 1)]), "e"),
        ]
    };
    let inits = || {
        vec![
            int64s("pads_br", &[0, 0, 0, 0, 0, 0, 1, 1]),
            int64s("pads_all", &[0, 0, 1, 1, 0, 0, 1, 1]),
            int64s("pads_none", &[0; 8]),
            weights("w1", &[4, 1, 3, 3]),
            weights("w2", &[3, 4]),
            weights("b2", &[3]),
        ]
    };
    let m = import(Path::new("keras.onnx"), &onnx_graph::model(nodes("pads_none"), inits(), &[1, 1, 8, 8])).unwrap();
    let kinds: Vec<&str> = m.spec.nodes.iter().map(|n| n.layer.op_name()).collect();
    assert_eq!(kinds, ["conv2d", "max_pool", "global_avg_pool", "dense"]);
    // 8x8 padded below and right by 1, 3x3 at stride 2: TensorFlow's "same" on 8x8.
    assert!(matches!(&m.spec.nodes[0].layer, Layer::Conv2d(c) if c.padding == Padding::Same));
    let all = Padding::Explicit(Pads { top: 1, bottom: 1, left: 1, right: 1 });
    assert!(matches!(&m.spec.nodes[1].layer, Layer::MaxPool(p) if p.padding == all), "{:?}", m.spec.nodes[1]);
    assert_eq!(m.spec.shapes().unwrap(), [[4, 4, 4], [2, 2, 4], [1, 1, 4], [1, 1, 3]]);

    let refused = |nodes: Vec<pb::NodeProto>, inits: Vec<pb::TensorProto>| {
        import(Path::new("pads.onnx"), &onnx_graph::model(nodes, inits, &[1, 1, 8, 8])).unwrap_err().to_string()
    };
    // Zeros before a max pool of values that may be negative (the conv before the ReLU).
    let mut no_relu = nodes("pads_none");
    no_relu[2] = out(node("Identity", "same", &["a"], vec![]), "a1");
    let e = refused(no_relu, inits());
    assert!(e.contains("\"pool\" (MaxPool)") && e.contains("never negative"), "{e}");
    // A zero Pad before an average pool would count the zeros.
    let e = refused(nodes("pads_all"), inits());
    assert!(e.contains("\"avg\" (AveragePool)") && e.contains("count_include_pad"), "{e}");
    // Padding with another value, or reflecting.
    let mut with_value = nodes("pads_none");
    with_value[0].input.push("one".into());
    let mut more = inits();
    more.push(onnx_graph::tensor("one", &[], vec![1.0]));
    let e = refused(with_value, more);
    assert!(e.contains("\"conv_pad\" (Pad)") && e.contains("padding with 1"), "{e}");
    let mut reflect = nodes("pads_none");
    reflect[0].attribute.push(pb::AttributeProto {
        name: Some("mode".into()),
        s: Some(b"reflect".to_vec()),
        r#type: Some(3),
        ..Default::default()
    });
    let e = refused(reflect, inits());
    assert!(e.contains("\"conv_pad\" (Pad)") && e.contains("reflect"), "{e}");
    // Read by anything but a conv or max pool.
    let mut read_by_add = nodes("pads_none");
    read_by_add[2] = out(node("Add", "add", &["xp", "xp"], vec![]), "a1");
    let e = refused(read_by_add, inits());
    assert!(e.contains("\"add\" (Add)") && e.contains("made by a Pad"), "{e}");
}

/// SqueezeNet's pools (`ceil_mode = 1`): a max pool whose output size rounds up pads further at
/// the bottom and right (with the lowest value, which never wins); a last window that would start
/// in the padding is dropped, as PyTorch and onnxruntime drop it; an average pool whose size
/// would round up is refused, naming the node and the way out.
#[test]
fn ceil_mode_pools_import_as_padding() {
    use qat_int8::shape::{Padding, Pads};
    let out = |n: pb::NodeProto, to: &str| pb::NodeProto { output: vec![to.into()], ..n };
    let graph = |pool: pb::NodeProto, size: i64| {
        let nodes = vec![
            out(node("Conv", "conv", &["x", "w1"], vec![]), "a"),
            out(node("Relu", "relu", &["a"], vec![]), "a1"),
            out(pool, "b"),
            out(node("GlobalAveragePool", "gap", &["b"], vec![]), "c"),
            out(node("Flatten", "flat", &["c"], vec![]), "d"),
            out(node("Gemm", "fc", &["d", "w2", "b2"], vec![onnx_graph::int("transB", 1)]), "e"),
        ];
        let inits = vec![weights("w1", &[4, 1, 1, 1]), weights("w2", &[3, 4]), weights("b2", &[3])];
        onnx_graph::model(nodes, inits, &[1, 1, size, size])
    };
    let pool = |op: &str, k: i64, pads: &[i64]| {
        node(
            op,
            "pool",
            &["a1"],
            vec![
                ints("kernel_shape", &[k, k]),
                ints("strides", &[2, 2]),
                ints("pads", pads),
                onnx_graph::int("ceil_mode", 1),
            ],
        )
    };
    // 10x10, 3x3 at stride 2: 4 outputs rounded down, 5 rounded up, one more row and column.
    let m = import(Path::new("squeeze.onnx"), &graph(pool("MaxPool", 3, &[0, 0, 0, 0]), 10)).unwrap();
    let padded = Padding::Explicit(Pads { top: 0, bottom: 1, left: 0, right: 1 });
    assert!(matches!(&m.spec.nodes[1].layer, Layer::MaxPool(p) if p.padding == padded), "{:?}", m.spec.nodes[1]);
    assert_eq!(m.spec.shapes().unwrap()[1], [5, 5, 4]);
    // 5x5 padded by 1, 2x2 at stride 2: a fourth window would start in the bottom padding.
    let m = import(Path::new("squeeze.onnx"), &graph(pool("MaxPool", 2, &[1, 1, 1, 1]), 5)).unwrap();
    let one = Padding::Explicit(Pads { top: 1, bottom: 1, left: 1, right: 1 });
    assert!(matches!(&m.spec.nodes[1].layer, Layer::MaxPool(p) if p.padding == one), "{:?}", m.spec.nodes[1]);
    assert_eq!(m.spec.shapes().unwrap()[1], [3, 3, 4]);
    // Average pooling where ceil and floor agree imports; where they differ it is refused.
    let m = import(Path::new("squeeze.onnx"), &graph(pool("AveragePool", 2, &[0, 0, 0, 0]), 10)).unwrap();
    assert_eq!(m.spec.shapes().unwrap()[1], [5, 5, 4]);
    let e =
        import(Path::new("squeeze.onnx"), &graph(pool("AveragePool", 2, &[0, 0, 0, 0]), 9)).unwrap_err().to_string();
    assert!(e.contains("\"pool\" (AveragePool)") && e.contains("ceil_mode=False"), "{e}");
}

/// `x.view(x.size(0), -1)` exported with a dynamic batch: the target shape is computed from the
/// activation's `Shape` (Gather of the batch, Unsqueeze, Concat with -1; or a Slice of the
/// shape; a size computed in integers), folded on the static shapes to [1, -1]: a flatten. A reshape to anything else the
/// shape arithmetic makes is refused as a constant one would be.
#[test]
fn shape_computed_reshapes_fold_on_static_shapes() {
    let out = |n: pb::NodeProto, to: &str| pb::NodeProto { output: vec![to.into()], ..n };
    let scalar =
        pb::TensorProto { name: Some("zero".into()), data_type: Some(7), int64_data: vec![0], ..Default::default() };
    let graph = |batch: Vec<pb::NodeProto>, tail: &str| {
        let mut nodes = vec![
            out(node("Conv", "conv", &["x", "w1"], vec![]), "a"),
            out(node("Shape", "shape", &["a"], vec![]), "s"),
        ];
        nodes.extend(batch);
        nodes.extend([
            out(node("Concat", "target", &["b1", tail], vec![onnx_graph::int("axis", 0)]), "t"),
            out(node("Reshape", "view", &["a", "t"], vec![]), "f"),
            out(node("Gemm", "fc", &["f", "w2", "b2"], vec![onnx_graph::int("transB", 1)]), "y"),
        ]);
        let inits = vec![
            weights("w1", &[4, 1, 3, 3]),
            weights("w2", &[3, 144]),
            weights("b2", &[3]),
            int64s("minus_one", &[-1]),
            int64s("four", &[4]),
            int64s("axes", &[0]),
            int64s("starts", &[0]),
            int64s("ends", &[1]),
            int64s("c288", &[288]),
            int64s("two", &[2]),
            scalar.clone(),
        ];
        onnx_graph::model(nodes, inits, &[1, 1, 8, 8])
    };
    let gather = || {
        vec![
            out(node("Gather", "batch", &["s", "zero"], vec![]), "b0"),
            out(node("Unsqueeze", "as_list", &["b0", "axes"], vec![]), "b1"),
        ]
    };
    let slice = vec![out(node("Slice", "batch", &["s", "starts", "ends"], vec![]), "b1")];
    for (what, batch) in [("gather", gather()), ("slice", slice)] {
        let m = import(Path::new("view.onnx"), &graph(batch, "minus_one")).unwrap();
        let kinds: Vec<&str> = m.spec.nodes.iter().map(|n| n.layer.op_name()).collect();
        assert_eq!(kinds, ["conv2d", "flatten", "dense"], "{what}");
        assert_eq!(m.spec.shapes().unwrap()[1], [1, 1, 144], "{what}");
    }
    // The size computed in integers (288 / 2), as ShuffleNet computes channels / groups.
    let mut computed = gather();
    computed.push(out(node("Div", "half", &["c288", "two"], vec![]), "c144"));
    let m = import(Path::new("view.onnx"), &graph(computed, "c144")).unwrap();
    assert_eq!(m.spec.shapes().unwrap()[1], [1, 1, 144]);
    // A Slice of an activation (NASNet's Cropping2D) is a crop, not shape arithmetic.
    let crop = vec![out(node("Slice", "crop", &["a", "starts", "ends"], vec![]), "b1")];
    let e = import(Path::new("view.onnx"), &graph(crop, "minus_one")).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("\"crop\" (Slice)") && e.contains("Slice of an activation"), "{e}");
    // [batch, 4] is not a flatten of 144 values.
    let e = import(Path::new("view.onnx"), &graph(gather(), "four")).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("\"view\" (Reshape)") && e.contains("only [batch, -1]"), "{e}");
}
