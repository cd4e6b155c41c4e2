//! The model zoo: real architectures exported as users export them, committed small in
//! tests/fixtures/onnx/zoo/ (made by `tiny_torch.py`, `keras_zoo.py --fixtures` and
//! `torchvision_zoo.py --small` beside them): the MLPerf Tiny ResNet-8, DS-CNN and
//! MobileNetV1-0.25 (VWW) written in PyTorch and ResNet-8 and DS-CNN in Keras, Keras'
//! MobileNet (alpha 0.25) and MobileNetV2 (alpha 0.35) at 96x96, torchvision's MobileNetV2
//! (width 0.25) and MnasNet (alpha 0.25) at 32x32, and SqueezeNet 1.1 in miniature (ceil-mode
//! max pools, fire modules, logits from a conv and global pooling); random weights with
//! realistic batch-norm statistics. Each goes through what a user does with it (GPU, MNIST and the interop venv):
//! - `import`; the float forward gives onnxruntime's logits within 1e-4 of the largest;
//! - two QAT steps at batch 32 from the imported weights (`train --init`), then the export;
//! - on 100 MNIST test digits resized to the model's input (channels replicated): LiteRT's
//!   reference kernels (BUILTIN_REF) on the .tflite give exactly the interpreter's int8 bytes, as
//!   do the GPU int8 kernels; XNNPACK and onnxruntime (the QDQ export), which requantize in
//!   float, are reported (max LSB, top-1 agreement), not bounded: a deep random network amplifies
//!   their one-LSB rounding differences layer after layer (MobileNetV1's grow from 1 LSB at the
//!   stem to tens at the logits), where the reference kernels, which round as we do, agree.
//!
//! The logits must take many values (not a saturated output) for the byte checks to mean
//! something. `QAT_ZOO_EXTRA` (ONNX paths, comma-separated) runs more models through the same
//! checks after these: the full-size ones that `torchvision_zoo.py` and `keras_zoo.py` write, too
//! large to commit (docs/BENCHMARKS.md has what they gave); with `QAT_ZOO_ONLY_EXTRA=1`, only
//! those.

mod common;

use common::interop::{agreement, python, run_script};
use qat_int8::export::onnx::{to_onnx, OnnxOptions};
use qat_int8::export::tflite::{to_tflite, TfliteOptions};
use qat_int8::interpreter::run_batch;
use qat_int8::model::InputNorm;
use std::path::Path;
use wgpu_qat::data::dataset::{Dataset, Format, Split};
use wgpu_qat::int8_gpu::model::GpuInt8Model;
use wgpu_qat::quantize::{export::TrainedState, quantize};
use wgpu_qat::train::network::{Network, WeightQuant};
use wgpu_qat::train::trainer::{train_from, Continuity, TrainConfig};

const ZOO: &[&str] = &[
    "torch_tiny_resnet8",
    "torch_tiny_ds_cnn",
    "torch_tiny_mobilenet_v1_vww",
    "torch_tiny_squeezenet",
    "keras_tiny_resnet8",
    "keras_tiny_ds_cnn",
    "keras_mobilenet_025_96",
    "keras_mobilenet_v2_035_96",
    "torchvision_mobilenet_v2_w025_32",
    "torchvision_mnasnet_025_32",
];

const IMAGES: usize = 100;

/// `split`'s 28x28 digits resized (nearest neighbour) to `[h, w]` with their grey level in each
/// of `c` channels; labels taken modulo `classes`.
fn mnist_as(split: &Split, [h, w, c]: [u32; 3], classes: usize) -> Split {
    let mut images = Vec::with_capacity(split.count * (h * w * c) as usize);
    for i in 0..split.count {
        let digit = &split.images[i * 784..(i + 1) * 784];
        for y in 0..h as usize {
            for x in 0..w as usize {
                let v = digit[(y * 28 / h as usize) * 28 + x * 28 / w as usize];
                images.extend(std::iter::repeat_n(v, c as usize));
            }
        }
    }
    let labels = split.labels.iter().map(|&l| (l as usize % classes) as u8).collect();
    Split { images, labels, count: split.count }
}

#[test]
fn zoo_models_import_train_and_export_exactly() {
    let (Some(python), Some(gpu), Some(mnist)) = (python(), common::gpu(), common::mnist()) else { return };
    let dir = std::env::temp_dir().join(format!("qat-model-zoo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let only_extra = std::env::var("QAT_ZOO_ONLY_EXTRA").as_deref() == Ok("1");
    let committed = ZOO
        .iter()
        .filter(|_| !only_extra)
        .map(|name| Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/onnx/zoo/{name}.onnx")));
    let extra = std::env::var("QAT_ZOO_EXTRA").unwrap_or_default();
    let extra = extra.split(',').filter(|p| !p.is_empty()).map(std::path::PathBuf::from);
    for fixture in committed.chain(extra) {
        let name = &fixture.file_stem().unwrap().to_string_lossy().into_owned();
        let imported = wgpu_qat::import::onnx::read(&fixture).unwrap();
        let spec = &imported.spec;
        let (shape, classes) = (spec.input, spec.classes().unwrap() as usize);
        let test = mnist_as(&mnist.test.slice(0, IMAGES, 784), shape, classes);
        let train = mnist_as(&mnist.train.slice(0, 64, 784), shape, classes);

        // The float forward against onnxruntime.
        let net = Network::with_params(gpu, spec, &imported.params, WeightQuant::PerChannel).unwrap();
        let ds = wgpu_qat::ops::gather::GpuDataset::upload(gpu, &test.images, &test.labels, shape, &net.input_norm);
        let ours = wgpu_qat::train::eval::evaluate(gpu, &net, &ds, &test.labels, false, 50, 8).unwrap();
        let model_copy = dir.join(format!("{name}.onnx"));
        std::fs::copy(&fixture, &model_copy).unwrap();
        let (report, _, bytes) =
            run_script(&python, "run_float_onnx.py", &model_copy, &test.images, shape, IMAGES, &[]);
        let theirs: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        assert_eq!(theirs.len(), ours.logits.len(), "{name}: {report}");
        let largest = theirs.iter().fold(0f32, |m, v| m.max(v.abs()));
        let float_diff = ours.logits.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(
            float_diff <= 1e-4 * largest.max(1e-6),
            "{name}: float logits differ by {float_diff} (largest {largest})"
        );

        // Two QAT steps at batch 32 from the imported weights, then the int8 model.
        let data = Dataset {
            dir: dir.clone(),
            format: Format::Idx,
            train,
            test: test.clone(),
            shape,
            classes,
            class_names: Vec::new(),
            norm: InputNorm::unit(shape[2]),
            not_genuine: Vec::new(),
            files: Vec::new(),
            label_files: [None, None],
        };
        let cfg = TrainConfig {
            epochs: 0,
            qat_epochs: 1,
            batch: 32,
            validation_split: 0.0,
            progress: false,
            ..TrainConfig::default()
        };
        let cfg = TrainConfig { adam: wgpu_qat::ops::adam::AdamConfig { lr: 1e-4, ..cfg.adam }, ..cfg };
        let init = Continuity { init: Some(&imported.params), checkpoint: None, resume: None };
        let (trained, report) = train_from(gpu, spec, &data, &cfg, init).unwrap();
        assert_eq!(report.qat.steps, 2, "{name}");
        let model = quantize(&TrainedState::read(gpu, &trained, 8).unwrap()).unwrap();
        let int8 = run_batch(&model, &test.images, IMAGES).unwrap();
        let distinct = int8.iter().collect::<std::collections::BTreeSet<_>>().len();
        assert!(distinct >= 8.min(classes * IMAGES / 4), "{name}: the int8 logits take only {distinct} values");

        // LiteRT's reference kernels and the GPU int8 kernels: the interpreter's bytes.
        let tflite = dir.join(format!("{name}.tflite"));
        std::fs::write(&tflite, to_tflite(&model, TfliteOptions::default()).unwrap()).unwrap();
        let (_, stderr, bytes) =
            run_script(&python, "run_tflite.py", &tflite, &test.images, shape, IMAGES, &["BUILTIN_REF", "batch"]);
        let reference: Vec<i8> = bytes.iter().map(|&b| b as i8).collect();
        let differing = reference.iter().zip(&int8).filter(|(a, b)| a != b).count();
        assert!(
            reference.len() == int8.len() && differing == 0,
            "{name}: {differing} bytes differ from LiteRT's reference kernels\n{stderr}"
        );
        let on_gpu = GpuInt8Model::upload(gpu, &model).unwrap().run(gpu, &test.images, IMAGES, 50).unwrap();
        assert_eq!(on_gpu, int8, "{name}: the GPU int8 kernels");
        let (_, _, bytes) = run_script(&python, "run_tflite.py", &tflite, &test.images, shape, IMAGES, &["BUILTIN"]);
        let xnn: Vec<i8> = bytes.iter().map(|&b| b as i8).collect();
        let (xnn_top1, xnn_lsb) = agreement(&format!("{name} XNNPACK"), &xnn, &int8, IMAGES);
        let onnx = dir.join(format!("{name}.qdq.onnx"));
        std::fs::write(&onnx, to_onnx(&model, OnnxOptions::default()).unwrap()).unwrap();
        let (_, _, bytes) = run_script(&python, "run_onnx.py", &onnx, &test.images, shape, IMAGES, &["batch"]);
        let ort: Vec<i8> = bytes.iter().map(|&b| b as i8).collect();
        let (ort_top1, ort_lsb) = agreement(&format!("{name} onnxruntime"), &ort, &int8, IMAGES);
        eprintln!(
            "{name}: {} layers; float vs onnxruntime {:.1e} of the largest logit; QAT loss {:.4}; {IMAGES} images, {distinct} distinct int8 logits: BUILTIN_REF 0 bytes differ, GPU int8 0; XNNPACK {xnn_lsb} LSB, top-1 {xnn_top1:.2}; onnxruntime {ort_lsb} LSB, top-1 {ort_top1:.2}",
            spec.nodes.len(),
            float_diff / largest.max(1e-6),
            report.qat.last_loss,
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
