//! Interop with the real runtimes (`ai-edge-litert` and `onnxruntime` from PyPI, in the venv
//! that `.ci/run` creates), on every built-in model: once with random weights (wide, untrained
//! ranges) and once trained briefly on an MNIST subset when a GPU and MNIST are present, and on
//! 1,000 images (MNIST test images when present).
//! - `.tflite` in LiteRT's reference kernels (`BUILTIN_REF`): the very int8 output bytes of our
//!   CPU interpreter; LiteRT loads it without a warning; the float-output variant is the
//!   dequantized bytes.
//! - `.tflite` in LiteRT's default path (XNNPACK) and ONNX in onnxruntime: outputs within a few
//!   LSB (both rescale in float32), and the same top-1 wherever ours leads by more than twice
//!   the largest byte difference (elsewhere a near-tie may flip; docs/NUMERICS.md). On an
//!   x86-64 CPU without VNNI, onnxruntime's fused int8 convs may saturate their int16 pair sums
//!   (`common::interop::saturating_cpu`): there only its top-1 agreement is held (at least 0.98).
//!
//! The Python comes from `$QAT_INTEROP_PYTHON`, else `.venv-interop/bin/python`. Without one the
//! tests skip with a message; `QAT_REQUIRE_INTEROP=1` (as in CI) makes that a failure.

mod common;

use common::interop::python;
use common::{synthetic_split, synthetic_state};
use qat_int8::export::onnx::{to_onnx, OnnxOptions};
use qat_int8::export::tflite::{to_tflite, TfliteOptions};
use qat_int8::interpreter::run_batch;
use qat_int8::model::QuantModel;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::quantize::{export::TrainedState, quantize};
use wgpu_qat::train::network::WeightQuant;
use wgpu_qat::train::trainer::{train, TrainConfig};

const IMAGES: usize = 1000;

/// The test images: the first MNIST test images when present, else synthetic ones.
fn images() -> &'static [u8] {
    static IMAGES_U8: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGES_U8.get_or_init(|| match common::mnist() {
        Some(data) => data.test.images[..IMAGES * 784].to_vec(),
        None => synthetic_split(IMAGES, 784, 11).images,
    })
}

/// Every built-in model (and mnist-dwbn with per-tensor weights), with random weights, and
/// trained for one short QAT epoch when a GPU and MNIST are there.
fn models() -> &'static [(String, QuantModel)] {
    static MODELS: OnceLock<Vec<(String, QuantModel)>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let variants = [
            ("mnist-cnn", WeightQuant::PerChannel),
            ("mnist-dwbn", WeightQuant::PerChannel),
            ("mnist-resnet", WeightQuant::PerChannel),
            ("mnist-dwbn", WeightQuant::PerTensor),
        ];
        let mut out = Vec::new();
        for (seed, (name, weights)) in variants.iter().enumerate() {
            let mut state = synthetic_state(&ModelSpec::builtin(name).unwrap(), 21 + seed as u64).unwrap();
            state.weight_quant = *weights;
            out.push((format!("{name} {weights:?} random"), quantize(&state).unwrap()));
        }
        for weights in [WeightQuant::PerChannel, WeightQuant::PerTensor] {
            out.push((format!("mnist-dwbn {weights:?} with collapsed channels"), collapsed(weights)));
        }
        let padded = wgpu_qat::model::file::from_toml(EXPLICIT_PADDING).unwrap();
        out.push(("explicit padding random".into(), quantize(&synthetic_state(&padded, 31).unwrap()).unwrap()));
        // The graph PyTorch's padded, conv-headed fixture imports as.
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx/pytorch_conv_head.onnx");
        let headed = wgpu_qat::import::onnx::read(&fixture).unwrap().spec;
        out.push((
            "pytorch_conv_head's graph random".into(),
            quantize(&synthetic_state(&headed, 32).unwrap()).unwrap(),
        ));
        if let (Some(gpu), Some(data)) = (common::gpu(), common::mnist()) {
            for (name, weights) in variants {
                let cfg = TrainConfig {
                    epochs: 0,
                    qat_epochs: 1,
                    train_limit: Some(1500),
                    test_limit: Some(100),
                    weight_quant: weights,
                    progress: false,
                    ..TrainConfig::default()
                };
                let (net, _) = train(gpu, &ModelSpec::builtin(name).unwrap(), data, &cfg).unwrap();
                out.push((
                    format!("{name} {weights:?} trained"),
                    quantize(&TrainedState::read(gpu, &net, 8).unwrap()).unwrap(),
                ));
            }
        }
        out
    })
}

/// Explicit padding as PyTorch writes it: a 7x7 stem with 3 on each side at stride 2 and its 3x3
/// max pool with 1 on each side (a PADV2 of -128 in the .tflite), a depthwise conv with 1 on each
/// side at stride 2 (not TensorFlow's "same" there), uneven sides, and explicit padding equal to
/// "same" (exported as SAME).
const EXPLICIT_PADDING: &str = r#"
name = "explicit-padding"
input = [28, 28, 1]
[[layers]]
name = "stem"
type = "conv2d"
filters = 8
kernel = 7
stride = 2
padding = [3, 3, 3, 3]
batch_norm = true
activation = "relu"
[[layers]]
name = "stem_pool"
type = "max_pool"
size = 3
stride = 2
padding = [1, 1, 1, 1]
[[layers]]
name = "dw"
type = "depthwise_conv2d"
kernel = 3
stride = 2
padding = [1, 1, 1, 1]
batch_norm = true
activation = "relu6"
[[layers]]
name = "uneven"
type = "conv2d"
filters = 12
kernel = [3, 2]
padding = [0, 2, 1, 0]
activation = "relu"
[[layers]]
name = "as_same"
type = "depthwise_conv2d"
kernel = 3
padding = [1, 1, 1, 1]
[[layers]]
name = "pool"
type = "global_avg_pool"
[[layers]]
name = "logits"
type = "dense"
units = 10
"#;

/// mnist-dwbn with random weights whose first depthwise layer's channel 3 and first pointwise
/// layer's channel 5 have collapsed (weights about 1e-9, biases from batch norm's beta of 0.5):
/// their int32 biases would not fit at the weights' own scales, so the export widens those
/// scales (`quant::bias_scale`, LiteRT's rule); LiteRT must still give our bytes.
fn collapsed(weights: WeightQuant) -> QuantModel {
    let spec = ModelSpec::builtin("mnist-dwbn").unwrap();
    let mut state = synthetic_state(&spec, 77).unwrap();
    state.weight_quant = weights;
    let shapes = spec.shapes().unwrap();
    let weighted: Vec<usize> = (0..spec.nodes.len())
        .filter(|&k| spec.nodes[k].layer.kind().weights(spec.tensor_shape(&shapes, spec.nodes[k].inputs[0])).is_some())
        .collect();
    for (param, channel) in [(1usize, 3usize), (2, 5)] {
        let k = weighted[param];
        let g = spec.nodes[k].layer.kind().weights(spec.tensor_shape(&shapes, spec.nodes[k].inputs[0])).unwrap();
        let p = &mut state.params[param];
        for (i, w) in p.weight.iter_mut().enumerate() {
            if (i / g.inner) % g.channels == channel {
                *w *= 1e-8;
            }
        }
        let bn = p.bn.as_mut().expect("mnist-dwbn's convs have batch norm");
        bn.beta[channel] = 0.5;
    }
    let model = quantize(&state).unwrap();
    // Without the widening the bias would be far beyond int32 (0.5 / (s_in * ~1e-9 / 127)).
    let scales = |k: usize| model.nodes[k].op.weight_scales().to_vec();
    for (param, channel) in [(1usize, 3usize), (2, 5)] {
        let s = scales(weighted[param])[channel];
        assert!(s > 1e-9, "channel {channel} of param {param}: weight scale {s} was not widened");
    }
    model
}

/// Runs `script` (in tests/interop/) on `model_file` and the first `count` test images.
fn run(
    python: &Path,
    script: &str,
    model_file: &Path,
    extra: &[&str],
    count: usize,
) -> (serde_json::Value, String, Vec<u8>) {
    common::interop::run_script(python, script, model_file, images(), [28, 28, 1], count, extra)
}

fn close_to_ours(what: &str, theirs: &[i8], ours: &[i8], count: usize) -> (f64, i32) {
    common::interop::close_to_ours(what, theirs, ours, count, 4)
}

fn close_to_onnxruntime(what: &str, theirs: &[i8], ours: &[i8], count: usize) -> (f64, i32) {
    common::interop::close_to_onnxruntime(what, theirs, ours, count, 4)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qat-interop-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn litert_reference_kernels_give_our_int8_bytes_and_xnnpack_agrees() {
    let Some(python) = python() else { return };
    let dir = tmp("litert");
    let path = dir.join("model.tflite");
    for (name, model) in models() {
        let ours = run_batch(model, images(), IMAGES).unwrap();
        std::fs::write(&path, to_tflite(model, TfliteOptions::default()).unwrap()).unwrap();
        let (report, stderr, bytes) = run(&python, "run_tflite.py", &path, &["BUILTIN_REF"], IMAGES);
        assert!(report["warnings"].as_array().unwrap().is_empty(), "{name}: {report}");
        assert!(
            !stderr.to_lowercase().contains("warning") && !stderr.contains("ERROR"),
            "{name}: LiteRT said:\n{stderr}"
        );
        assert_eq!(report["output"]["dtype"], "int8", "{name}");
        assert_eq!(report["output"]["zero_point"], model.logits_quant().zero_point, "{name}");
        let theirs: Vec<i8> = bytes.iter().map(|&b| b as i8).collect();
        assert_eq!(theirs.len(), ours.len(), "{name}");
        let differing = theirs.iter().zip(&ours).filter(|(a, b)| a != b).count();
        assert_eq!(
            differing,
            0,
            "{name}: {differing} of {} int8 output bytes differ from LiteRT's reference kernels",
            ours.len()
        );

        // The batch is free: every image in one invocation, the input resized to [IMAGES, ...].
        let (report, _, bytes) = run(&python, "run_tflite.py", &path, &["BUILTIN_REF", "batch"], IMAGES);
        assert_eq!(report["input"]["shape"][0], IMAGES, "{name}: {report}");
        assert!(bytes.iter().zip(&ours).all(|(&a, &b)| a as i8 == b) && bytes.len() == ours.len(), "{name}: batched");

        let (_, _, bytes) = run(&python, "run_tflite.py", &path, &["BUILTIN"], IMAGES);
        let xnn: Vec<i8> = bytes.iter().map(|&b| b as i8).collect();
        let (agreement, max_lsb) = close_to_ours(&format!("{name} XNNPACK"), &xnn, &ours, IMAGES);
        eprintln!("{name}: {IMAGES} images; BUILTIN_REF: 0 differing bytes; XNNPACK: top-1 agreement {agreement:.4}, max {max_lsb} LSB");
    }
    // The float-output variant: a DEQUANTIZE of the same bytes.
    let (name, model) = &models()[0];
    std::fs::write(&path, to_tflite(model, TfliteOptions { float_output: true }).unwrap()).unwrap();
    let (report, _, bytes) = run(&python, "run_tflite.py", &path, &["BUILTIN_REF"], 10);
    assert_eq!(report["output"]["dtype"], "float32", "{name}");
    let floats: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let q = model.logits_quant();
    let want: Vec<f32> =
        run_batch(model, &images()[..784 * 10], 10).unwrap().iter().map(|&v| q.dequantize(v)).collect();
    assert_eq!(floats, want, "{name}: DEQUANTIZE of the int8 logits");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn onnxruntime_runs_the_qdq_export_and_agrees() {
    let Some(python) = python() else { return };
    let dir = tmp("onnx");
    let path = dir.join("model.onnx");
    for (name, model) in models() {
        std::fs::write(&path, to_onnx(model, OnnxOptions::default()).unwrap()).unwrap();
        let (report, stderr, bytes) = run(&python, "run_onnx.py", &path, &[], IMAGES);
        assert!(
            report["warnings"].as_array().unwrap().is_empty() && !stderr.contains("W:") && !stderr.contains("E:"),
            "{name}: {report} {stderr}"
        );
        assert_eq!(report["output"]["type"], "tensor(int8)", "{name}");
        let theirs: Vec<i8> = bytes.iter().map(|&b| b as i8).collect();
        let ours = run_batch(model, images(), IMAGES).unwrap();
        let (agreement, max_lsb) = close_to_onnxruntime(&format!("{name} onnxruntime"), &theirs, &ours, IMAGES);
        // The batch is free, and `Layout::Nchw` takes the same images as [batch, C, H, W]
        // (onnxruntime fuses a batch and another graph into kernels that round a little
        // differently, so both are held to the same bound as one image).
        let (_, _, batched) = run(&python, "run_onnx.py", &path, &["batch"], IMAGES);
        let batched: Vec<i8> = batched.iter().map(|&b| b as i8).collect();
        close_to_onnxruntime(&format!("{name} onnxruntime, one batch"), &batched, &ours, IMAGES);
        let nchw = OnnxOptions { layout: qat_int8::export::onnx::Layout::Nchw, ..OnnxOptions::default() };
        std::fs::write(&path, to_onnx(model, nchw).unwrap()).unwrap();
        let (_, _, nchw_bytes) = run(&python, "run_onnx.py", &path, &["batch-nchw"], IMAGES);
        let nchw_bytes: Vec<i8> = nchw_bytes.iter().map(|&b| b as i8).collect();
        close_to_onnxruntime(&format!("{name} onnxruntime, NCHW input"), &nchw_bytes, &ours, IMAGES);
        eprintln!(
            "{name}: onnxruntime {}: {IMAGES} images, top-1 agreement {agreement:.4}, max {max_lsb} LSB",
            report["onnxruntime"]
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// ONNX import against onnxruntime: the float CNNs that PyTorch (`torch.onnx.export`, batch
/// norm kept, depthwise as groups, ReLU6 as Clip, a residual Add, a Flatten of an NCHW tensor)
/// and tf2onnx (from Keras: NHWC input, batch norm folded into Mul/Add, global pooling, MatMul +
/// Add), and PyTorch again with its paddings and a 1x1-conv classifier head after a reshape to
/// [batch, C, 1, 1], wrote in tests/fixtures/onnx/ (made by the scripts there) give, in our float
/// forward on the GPU, the logits onnxruntime gives, within 1e-4, on 1,000 MNIST test images.
#[test]
fn imported_onnx_models_compute_onnxruntimes_float_logits() {
    let (Some(python), Some(gpu), Some(data)) = (python(), common::gpu(), common::mnist()) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("qat-onnx-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // PyTorch's paddings (a 7x7 stem with 3 on each side at stride 2, 1 on each side at stride 2,
    // uneven sides, ONNX order [top, left, bottom, right]) with random weights: the logits must
    // agree, the accuracy is chance.
    let padded = dir.join("pytorch_padding.onnx");
    std::fs::write(&padded, pytorch_padding_onnx()).unwrap();
    for fixture in ["pytorch_dwbn", "keras_dwbn", "pytorch_conv_head", "pytorch_padding"] {
        let trained = fixture != "pytorch_padding";
        let path = if trained {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx").join(format!("{fixture}.onnx"))
        } else {
            padded.clone()
        };
        let imported = wgpu_qat::import::onnx::read(&path).unwrap();
        let net = wgpu_qat::train::network::Network::with_params(
            gpu,
            &imported.spec,
            &imported.params,
            WeightQuant::PerChannel,
        )
        .unwrap();
        let test = data.test.slice(0, IMAGES, 784);
        let ds =
            wgpu_qat::ops::gather::GpuDataset::upload(gpu, &test.images, &test.labels, [28, 28, 1], &net.input_norm);
        let ours = wgpu_qat::train::eval::evaluate(gpu, &net, &ds, &test.labels, false, 250, 8).unwrap();
        let model_copy = dir.join(format!("{fixture}.onnx"));
        if model_copy != path {
            std::fs::copy(&path, &model_copy).unwrap();
        }
        let (report, _, bytes) = run(&python, "run_float_onnx.py", &model_copy, &[], IMAGES);
        let theirs: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        assert_eq!(theirs.len(), ours.logits.len(), "{fixture}: {report}");
        let max_diff = ours.logits.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        let acc_theirs = wgpu_qat::train::eval::accuracy(&theirs, 10, &test.labels);
        eprintln!(
            "{fixture}: {} layers, accuracy ours {:.4} onnxruntime {acc_theirs:.4}, max |logit difference| {max_diff:.2e} ({report})",
            imported.spec.nodes.len(),
            ours.accuracy
        );
        // `qat import --images --logits` writes the same logits for a user to compare.
        let (spec, logits) = (dir.join(format!("{fixture}.toml")), dir.join(format!("{fixture}.f32")));
        let images = dir.join("images.u8");
        let (code, _, err) = common::cli::qat(&[
            "import",
            model_copy.to_str().unwrap(),
            "--out",
            spec.to_str().unwrap(),
            "--images",
            images.to_str().unwrap(),
            "--logits",
            logits.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{fixture}: qat import --logits: {err}");
        let written: Vec<f32> = std::fs::read(&logits)
            .unwrap()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(written, ours.logits, "{fixture}: qat import --logits");
        let largest = theirs.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(
            max_diff <= 1e-4 * largest.max(1.0),
            "{fixture}: logits differ by up to {max_diff} (largest {largest})"
        );
        // The conv-head fixture is the smallest network (5,274 parameters after one epoch).
        let floor = if fixture == "pytorch_conv_head" { 0.75 } else { 0.85 };
        assert!(!trained || ours.accuracy > floor, "{fixture}: accuracy {}", ours.accuracy);
    }
}

/// A float model on [1, 1, 28, 28] as `torch.onnx.export` writes PyTorch's paddings: Conv 7x7
/// pads [3, 3, 3, 3] stride 2, Relu, MaxPool 3x3 pads [1, 1, 1, 1] stride 2 (ResNet's stem),
/// Conv 3x3 pads [1, 1, 1, 1] stride 2, Relu, Conv 3x2 pads
/// [0, 1, 2, 0], GlobalAveragePool, Flatten, Gemm to 10 classes; seeded random weights, one bias
/// through an Identity as the exporter shares initializers.
fn pytorch_padding_onnx() -> Vec<u8> {
    use common::onnx_graph::{int, ints, model, node, random};
    let nodes = vec![
        node("Conv", "stem", &["x", "w1", "b1"], "a", vec![ints("pads", &[3, 3, 3, 3]), ints("strides", &[2, 2])]),
        node("Relu", "stem_relu", &["a"], "a0", vec![]),
        node(
            "MaxPool",
            "stem_pool",
            &["a0"],
            "a1",
            vec![ints("kernel_shape", &[3, 3]), ints("strides", &[2, 2]), ints("pads", &[1, 1, 1, 1])],
        ),
        // torch.onnx.export shares equal initializers through Identity nodes.
        node("Identity", "shared_bias", &["b2"], "b2_shared", vec![]),
        node(
            "Conv",
            "down",
            &["a1", "w2", "b2_shared"],
            "b",
            vec![ints("pads", &[1, 1, 1, 1]), ints("strides", &[2, 2])],
        ),
        node("Relu", "down_relu", &["b"], "b1r", vec![]),
        node("Conv", "uneven", &["b1r", "w3", "b3"], "c", vec![ints("pads", &[0, 1, 2, 0])]),
        node("GlobalAveragePool", "pool", &["c"], "d", vec![]),
        node("Flatten", "flat", &["d"], "e", vec![int("axis", 1)]),
        node("Gemm", "fc", &["e", "w4", "b4"], "y", vec![int("transB", 1)]),
    ];
    let inits = vec![
        random("w1", &[8, 1, 7, 7], 1, 1.0),
        random("b1", &[8], 2, 0.1),
        random("w2", &[12, 8, 3, 3], 3, 0.8),
        random("b2", &[12], 4, 0.1),
        random("w3", &[6, 12, 3, 2], 5, 0.8),
        random("b3", &[6], 6, 0.1),
        random("w4", &[10, 6], 7, 2.0),
        random("b4", &[10], 8, 0.1),
    ];
    model(nodes, inits, &[1, 1, 28, 28])
}
