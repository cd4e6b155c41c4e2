//! GPU-free: model spec files (the shipped examples equal the built-ins; bad files are rejected
//! naming the layer) and the exported int8 graphs of the built-in models (batch norm folded
//! away, Concat sharing one scale, exact round trip through the file format).

mod common;

use common::{synthetic_split, synthetic_state};
use qat_int8::format::{from_bytes, to_bytes};
use qat_int8::interpreter::run_batch;
use qat_int8::ops::QLayer;
use wgpu_qat::model::file::{from_toml, read};
use wgpu_qat::model::kinds::max_pool::MaxPool;
use wgpu_qat::model::{kinds::Layer, spec::ModelSpec};
use wgpu_qat::quantize::quantize;

fn example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models").join(format!("{name}.toml"))
}

#[test]
fn shipped_spec_files_equal_the_builtins() {
    for name in wgpu_qat::model::spec::BUILTINS.iter().copied() {
        assert_eq!(read(&example(name)).unwrap(), ModelSpec::builtin(name).unwrap(), "{name}");
    }
}

#[test]
fn json_specs_and_any_layer_order_work() {
    let dir = std::env::temp_dir().join(format!("qat-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("tiny.json");
    // Listed out of order: the reader sorts by inputs.
    std::fs::write(
        &p,
        r#"{"input": [8, 8, 1], "output": "out", "layers": [
            {"name": "out", "type": "dense", "input": "flat", "units": 3},
            {"name": "flat", "type": "flatten", "input": "c"},
            {"name": "c", "type": "conv2d", "input": "input", "filters": 2, "kernel": 3, "activation": "relu6"}]}"#,
    )
    .unwrap();
    let spec = read(&p).unwrap();
    assert_eq!(spec.name, "tiny");
    assert_eq!(spec.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["c", "flat", "out"]);
    assert_eq!(spec.shapes().unwrap(), vec![[6, 6, 2], [1, 1, 72], [1, 1, 3]]);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn rejects(text: &str, needles: &[&str]) {
    let e = from_toml(text).unwrap_err();
    for n in needles {
        assert!(e.contains(n), "error {e:?} lacks {n:?}");
    }
}

const HEAD: &str = "input = [28, 28, 1]\n";

#[test]
fn bad_spec_files_name_the_layer() {
    // Shape error.
    rejects(&format!("{HEAD}[[layers]]\nname = \"big\"\ntype = \"conv2d\"\nfilters = 4\nkernel = 40\n[[layers]]\nname = \"d\"\ntype = \"dense\"\nunits = 2\n"), &["big", "does not fit"]);
    // Unknown layer type.
    rejects(
        &format!("{HEAD}[[layers]]\nname = \"weird\"\ntype = \"conv3d\"\n"),
        &["weird", "unknown layer type", "conv3d"],
    );
    // Cycle.
    rejects(
        &format!("{HEAD}[[layers]]\nname = \"a\"\ntype = \"add\"\ninputs = [\"input\", \"b\"]\n[[layers]]\nname = \"b\"\ntype = \"add\"\ninputs = [\"a\", \"input\"]\n[[layers]]\nname = \"f\"\ntype = \"flatten\"\ninput = \"a\"\n[[layers]]\nname = \"d\"\ntype = \"dense\"\nunits = 2\n"),
        &["cycle", "\"a\""],
    );
    // Dangling input.
    rejects(&format!("{HEAD}[[layers]]\nname = \"f\"\ntype = \"flatten\"\ninput = \"nowhere\"\n[[layers]]\nname = \"d\"\ntype = \"dense\"\nunits = 2\n"), &["\"f\"", "nowhere", "dangling"]);
    // Missing option, unknown field, add of different shapes, output not dense.
    rejects(&format!("{HEAD}[[layers]]\nname = \"c\"\ntype = \"conv2d\"\nkernel = 3\n"), &["\"c\"", "filters"]);
    rejects(&format!("{HEAD}[[layers]]\nname = \"c\"\ntype = \"flatten\"\nfliters = 3\n"), &["fliters"]);
    // An option of another kind, and options of the wrong type.
    rejects(
        &format!("{HEAD}[[layers]]\nname = \"p\"\ntype = \"max_pool\"\nsize = 2\nfilters = 8\n"),
        &["\"p\"", "max_pool", "unknown field `filters`"],
    );
    rejects(
        &format!("{HEAD}[[layers]]\nname = \"c\"\ntype = \"conv2d\"\nfilters = -4\nkernel = 3\n"),
        &["\"c\"", "filters", "non-negative integer"],
    );
    rejects(
        &format!("{HEAD}[[layers]]\nname = \"c\"\ntype = \"conv2d\"\nfilters = 4\nkernel = [3]\n"),
        &["\"c\"", "kernel", "[height, width]"],
    );
    rejects(
        &format!("{HEAD}[[layers]]\nname = \"c\"\ntype = \"conv2d\"\nfilters = 4\nkernel = 3\nbatch_norm = 1\n"),
        &["\"c\"", "batch_norm", "true or false"],
    );
    rejects(
        &format!("{HEAD}[[layers]]\nname = \"c\"\ntype = \"conv2d\"\nfilters = 2\nkernel = 3\n[[layers]]\nname = \"s\"\ntype = \"add\"\ninputs = [\"input\", \"c\"]\n[[layers]]\nname = \"f\"\ntype = \"flatten\"\n[[layers]]\nname = \"d\"\ntype = \"dense\"\nunits = 2\n"),
        &["\"s\"", "different shapes"],
    );
    rejects(
        &format!("{HEAD}[[layers]]\nname = \"c\"\ntype = \"conv2d\"\nfilters = 2\nkernel = 3\n"),
        &["\"c\"", "one value per class", "global average pooling"],
    );
}

#[test]
fn a_concat_input_with_other_readers_is_rejected_for_qat() {
    let text = format!(
        "{HEAD}[[layers]]\nname = \"a\"\ntype = \"conv2d\"\nfilters = 2\nkernel = 3\n[[layers]]\nname = \"b\"\ntype = \"conv2d\"\ninput = \"a\"\nfilters = 2\nkernel = 1\n[[layers]]\nname = \"cat\"\ntype = \"concat\"\ninputs = [\"a\", \"b\"]\n[[layers]]\nname = \"g\"\ntype = \"global_avg_pool\"\n[[layers]]\nname = \"d\"\ntype = \"dense\"\nunits = 2\n"
    );
    let spec = from_toml(&text).unwrap();
    let e = wgpu_qat::model::placement::placement(&spec).unwrap_err().to_string();
    assert!(e.contains("\"a\"") && e.contains("cat"), "{e}");
}

#[test]
fn exported_graphs_fold_batch_norm_and_share_concat_scales() {
    for name in ["mnist-dwbn", "mnist-resnet"] {
        let spec = ModelSpec::builtin(name).unwrap();
        let model = quantize(&synthetic_state(&spec, 3).unwrap()).unwrap();
        // Every node maps to an int8 op; none is a batch norm (there is no such op to map to,
        // and the counts match node for node).
        assert_eq!(model.nodes.len(), spec.nodes.len());
        let bytes = to_bytes(&model).unwrap();
        assert_eq!(from_bytes(&bytes).unwrap(), model, "{name} round trip");
        let quants = model.tensor_quants();
        for (k, node) in model.nodes.iter().enumerate() {
            if matches!(node.op, QLayer::Concat(_)) {
                for &t in &node.inputs {
                    assert_eq!(quants[t], quants[k + 1], "{name}: concat input {t} and output scales differ");
                }
            }
        }
        // The interpreter runs the graph.
        let data = synthetic_split(3, 784, 1);
        assert_eq!(run_batch(&model, &data.images, 3).unwrap().len(), 30);
    }
    let model = quantize(&synthetic_state(&ModelSpec::builtin("mnist-resnet").unwrap(), 4).unwrap()).unwrap();
    let ops: Vec<_> = model.nodes.iter().map(|n| n.op.op_name()).collect();
    assert!(
        ops.contains(&"ADD")
            && ops.contains(&"CONCATENATION")
            && ops.contains(&"DEPTHWISE_CONV_2D")
            && ops.contains(&"MEAN")
    );
}

#[test]
fn per_tensor_weights_have_one_scale_per_layer() {
    let spec = ModelSpec::builtin("mnist-dwbn").unwrap();
    let mut state = synthetic_state(&spec, 5).unwrap();
    state.weight_quant = wgpu_qat::train::network::WeightQuant::PerTensor;
    let model = quantize(&state).unwrap();
    for n in &model.nodes {
        if matches!(n.op, QLayer::Conv2d(_) | QLayer::DepthwiseConv2d(_)) {
            assert!(n.op.weight_scales().windows(2).all(|w| w[0] == w[1]), "{}", n.name);
        }
    }
    let back = wgpu_qat::quantize::dequantize(&model).unwrap();
    assert_eq!(back.weight_quant, wgpu_qat::train::network::WeightQuant::PerTensor);
}

/// A chain of `n` flatten layers and a dense output, as TOML.
fn long_chain(n: usize) -> String {
    let mut text = String::from("input = [4, 4, 1]\n");
    for i in 0..n {
        text.push_str(&format!("[[layers]]\nname = \"l{i}\"\ntype = \"flatten\"\n"));
    }
    text + "[[layers]]\nname = \"logits\"\ntype = \"dense\"\nunits = 2\n"
}

#[test]
fn layer_counts_are_bounded_and_parsing_is_linear() {
    use qat_int8::limits::MAX_LAYERS;
    // 100,000 layers: refused by the documented limit (the CLI measures 0.26 s for this file,
    // nearly all of it TOML deserialization).
    let e = from_toml(&long_chain(100_000)).unwrap_err();
    assert!(e.contains("100001 layers") && e.contains(&format!("limit of {MAX_LAYERS}")), "{e}");
    // At the limit, a chain listed in reverse order (the worst case of the old quadratic
    // topological sort) parses into graph order.
    let n = MAX_LAYERS - 1;
    let mut reversed = format!("input = [4, 4, 1]\noutput = \"logits\"\n[[layers]]\nname = \"logits\"\ntype = \"dense\"\nunits = 2\ninput = \"l{}\"\n", n - 1);
    for i in (0..n).rev() {
        let input = if i == 0 { "input".to_string() } else { format!("l{}", i - 1) };
        reversed.push_str(&format!("[[layers]]\nname = \"l{i}\"\ntype = \"flatten\"\ninput = \"{input}\"\n"));
    }
    let spec = from_toml(&reversed).unwrap();
    assert_eq!(spec.nodes.len(), MAX_LAYERS);
    assert_eq!(spec.nodes[0].name, "l0");
    assert_eq!(spec.nodes[MAX_LAYERS - 2].name, format!("l{}", MAX_LAYERS - 2));
}

#[test]
fn model_spec_rejects_bad_shapes_naming_the_layer() {
    let layers = |spec: &ModelSpec| spec.nodes.iter().map(|n| (n.name.clone(), n.layer.clone())).collect::<Vec<_>>();
    let mut l = layers(&ModelSpec::mnist_cnn());
    l.insert(
        2,
        ("big_pool".into(), Layer::MaxPool(MaxPool { size: 20, stride: 2, padding: qat_int8::shape::Padding::Valid })),
    );
    let spec = ModelSpec::sequential("bad", [28, 28, 1], l.iter().map(|(n, l)| (n.as_str(), l.clone())).collect());
    let e = spec.shapes().unwrap_err().to_string();
    assert!(e.contains("layer 2") && e.contains("big_pool") && e.contains("max_pool"), "{e}");
    let mut l = layers(&ModelSpec::mnist_cnn());
    l.remove(2);
    let spec = ModelSpec::sequential("bad", [28, 28, 1], l.iter().map(|(n, l)| (n.as_str(), l.clone())).collect());
    let e = spec.shapes().unwrap_err().to_string();
    assert!(e.contains("logits") && e.contains("flatten"), "{e}");
    assert_eq!(ModelSpec::mnist_cnn().parameter_count().unwrap(), 108 + 12 + 20280 + 10);
    assert!(ModelSpec::builtin("resnet-9000").unwrap_err().to_string().contains("mnist-cnn"));
}
