//! The `qat` binary on bad input: every case exits with status 1 and an "error:" line that
//! names the file or argument, and never panics. GPU-free except where noted.

mod common;

use qat_int8::format::{to_bytes, write};
use std::path::{Path, PathBuf};
use std::process::Command;
use wgpu_qat::model::params::HostParams;
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::quantize::{export::TrainedState, quantize};

fn qat(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qat")).args(args).env("LP_NUM_THREADS", "0").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "qat {args:?} panicked:\n{stderr}");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn fails_with(args: &[&str], needles: &[&str]) {
    let (code, _, err) = qat(args);
    assert_eq!(code, 1, "qat {args:?} should fail:\n{err}");
    for n in needles {
        assert!(err.contains(n), "qat {args:?}: stderr lacks {n:?}:\n{err}");
    }
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qat-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn a_model(dir: &Path) -> PathBuf {
    let spec = ModelSpec::mnist_cnn();
    let state = TrainedState {
        spec,
        params: vec![
            HostParams {
                weight: (0..108).map(|i| (i as f32 * 0.37).sin() * 0.3).collect(),
                bias: vec![0.01; 12],
                bn: None,
            },
            HostParams {
                weight: (0..20280).map(|i| (i as f32 * 0.11).cos() * 0.05).collect(),
                bias: vec![0.0; 10],
                bn: None,
            },
        ],
        input_range: [0.0, 1.0],
        output_ranges: vec![Some([0.0, 2.0]), None, None, Some([-5.0, 5.0])],
        bits: 8,
        weight_quant: wgpu_qat::train::network::WeightQuant::PerChannel,
        input_norm: qat_int8::model::InputNorm::unit(1),
    };
    let p = dir.join("model.qat");
    write(&quantize(&state).unwrap(), &p).unwrap();
    p
}

/// A data folder whose four files exist but the training images are truncated.
fn truncated_data(dir: &Path) -> PathBuf {
    let d = dir.join("mnist");
    std::fs::create_dir_all(&d).unwrap();
    let header = |magic: u8, dims: &[u32]| {
        let mut b = vec![0, 0, 8, magic];
        for x in dims {
            b.extend_from_slice(&x.to_be_bytes());
        }
        b
    };
    let mut imgs = header(3, &[10, 28, 28]);
    imgs.extend(vec![0u8; 784 * 10]);
    let mut labs = header(1, &[10]);
    labs.extend(vec![1u8; 10]);
    std::fs::write(d.join("t10k-images-idx3-ubyte"), &imgs).unwrap();
    std::fs::write(d.join("t10k-labels-idx1-ubyte"), &labs).unwrap();
    std::fs::write(d.join("train-images-idx3-ubyte"), &imgs[..3000]).unwrap();
    std::fs::write(d.join("train-labels-idx1-ubyte"), &labs).unwrap();
    d
}

#[test]
fn eval_reports_missing_corrupt_and_truncated_model_files() {
    let dir = tmp_dir("model");
    let data = truncated_data(&dir);
    let d = data.to_str().unwrap();
    let missing = dir.join("nope.qat");
    fails_with(&["eval", "--model", missing.to_str().unwrap(), "--data", d], &["error:", "nope.qat"]);
    let good = a_model(&dir);
    let bytes = std::fs::read(&good).unwrap();
    let corrupt = dir.join("corrupt.qat");
    let mut c = bytes.clone();
    c[100] ^= 0xff;
    std::fs::write(&corrupt, &c).unwrap();
    fails_with(&["eval", "--model", corrupt.to_str().unwrap(), "--data", d], &["corrupt.qat", "checksum"]);
    let short = dir.join("short.qat");
    std::fs::write(&short, &bytes[..bytes.len() / 3]).unwrap();
    fails_with(&["eval", "--model", short.to_str().unwrap(), "--data", d], &["short.qat", "truncated"]);
    let not_model = dir.join("text.qat");
    std::fs::write(&not_model, "hello, I am not a model").unwrap();
    fails_with(&["eval", "--model", not_model.to_str().unwrap(), "--data", d], &["text.qat", "magic"]);
    assert_eq!(to_bytes(&qat_int8::format::read(&good).unwrap()).unwrap(), bytes);
    let (code, out, err) = qat(&["inspect", "--model", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("CONV_2D") && out.contains("FULLY_CONNECTED"), "{out}");
    fails_with(&["inspect", "--model", corrupt.to_str().unwrap()], &["corrupt.qat", "checksum"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn truncated_data_and_bad_arguments_are_named() {
    let dir = tmp_dir("data");
    let data = truncated_data(&dir);
    let model = a_model(&dir);
    let d = data.to_str().unwrap();
    fails_with(&["eval", "--model", model.to_str().unwrap(), "--data", d], &["train-images-idx3-ubyte", "truncated"]);
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    fails_with(
        &["eval", "--model", model.to_str().unwrap(), "--data", empty.to_str().unwrap(), "--offline"],
        &["no data found", "t10k-labels-idx1-ubyte"],
    );
    fails_with(&["train", "--model", "resnet-9000", "--data", d], &["unknown model", "mnist-cnn"]);
    fails_with(&["train", "--qat-epochs", "0", "--data", d], &["--qat-epochs"]);
    fails_with(&["train", "--lr", "NaN", "--data", d], &["--lr"]);
    fails_with(&["train", "--batch", "0", "--data", d], &["--batch"]);
    fails_with(&["train", "--test-limit", "0", "--data", d], &["--test-limit"]);
    fails_with(&["eval", "--model", model.to_str().unwrap(), "--limit", "0", "--data", d], &["--limit"]);
    fails_with(&["train", "--data", d, "--out", "/nonexistent-dir/m.qat"], &["nonexistent-dir"]);
    fails_with(&["train", "--data", d], &["train-images-idx3-ubyte", "truncated"]);
    // clap's own usage errors exit with 2 and no panic.
    let (code, _, err) = qat(&["train", "--epochs", "many"]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eval_and_verify_run_on_real_data() {
    let Some(_) = common::mnist() else { return };
    let dir = tmp_dir("real");
    let model = a_model(&dir);
    let (code, out, err) = qat(&["eval", "--model", model.to_str().unwrap(), "--limit", "200", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["images"], 200);
    // The same accuracy the library computes on the same images.
    let data = common::mnist().unwrap();
    let test = wgpu_qat::train::trainer::test_split(data, Some(200));
    let int8 = wgpu_qat::quantize::verify::int8_logits(&qat_int8::format::read(&model).unwrap(), &test).unwrap();
    let want = wgpu_qat::train::eval::accuracy(&int8, 10, &test.labels);
    assert_eq!(v["int8_test_acc"].as_f64().unwrap(), want);
    if common::gpu().is_some() {
        let (code, out, err) = qat(&["verify", "--model", model.to_str().unwrap(), "--limit", "200", "--json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["top1_agreement"].as_f64().unwrap() >= 0.9, "{v}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn export_writes_both_formats_beside_the_model_and_names_bad_input() {
    let dir = tmp_dir("export");
    let model = a_model(&dir);
    let m = model.to_str().unwrap();
    for (format, ext) in [("tflite", "tflite"), ("onnx", "onnx")] {
        let (code, out, err) = qat(&["export", "--model", m, "--format", format]);
        assert_eq!(code, 0, "{err}");
        let path = dir.join(format!("model.{ext}"));
        assert!(out.contains(path.to_str().unwrap()), "{out}");
        let bytes = std::fs::read(&path).unwrap();
        match format {
            "tflite" => assert_eq!(&bytes[4..8], b"TFL3"),
            _ => assert!(bytes.windows(8).any(|w| w == b"wgpu-qat"), "the ONNX producer name"),
        }
    }
    let crafted = dir.join("bad.qat");
    std::fs::write(&crafted, b"QATM not really").unwrap();
    fails_with(&["export", "--model", crafted.to_str().unwrap(), "--format", "onnx"], &["bad.qat"]);
    fails_with(&["export", "--model", m, "--out", dir.to_str().unwrap()], &["is a directory"]);
    let (code, _, err) = qat(&["export", "--model", m, "--format", "caffe"]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eval_inspect_and_export_open_no_gpu() {
    let Some(_) = common::mnist() else { return };
    let dir = tmp_dir("nogpu");
    let model = a_model(&dir);
    let m = model.to_str().unwrap();
    // No Vulkan driver can be found: a command that opened a device would fail.
    let no_gpu = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_qat"))
            .args(args)
            .env("VK_ICD_FILENAMES", "/nonexistent.json")
            .env("VK_DRIVER_FILES", "/nonexistent.json")
            .env("WGPU_BACKEND", "vulkan")
            .output()
            .unwrap();
        assert!(out.status.success(), "qat {args:?} needed a GPU:\n{}", String::from_utf8_lossy(&out.stderr));
    };
    no_gpu(&["eval", "--model", m, "--limit", "20"]);
    no_gpu(&["inspect", "--model", m]);
    no_gpu(&["export", "--model", m, "--format", "tflite"]);
    no_gpu(&["export", "--model", m, "--format", "onnx"]);
    // And the same environment does stop a command that needs one.
    let out = Command::new(env!("CARGO_BIN_EXE_qat"))
        .args(["info"])
        .env("VK_ICD_FILENAMES", "/nonexistent.json")
        .env("VK_DRIVER_FILES", "/nonexistent.json")
        .env("WGPU_BACKEND", "vulkan")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bench_reports_every_configuration_against_the_yardstick() {
    if common::gpu().is_none() {
        return;
    }
    let (code, out, err) =
        qat(&["bench", "--json", "--model", "mnist-cnn,mnist-dwbn", "--batch", "4,8", "--steps", "1", "--profile"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let yardstick = v["yardstick"]["gflops"].as_f64().unwrap();
    assert!(yardstick > 0.0 && v["yardstick"]["size"] == 1024, "{v}");
    // The best of the trials before and after the steps.
    let (before, after) = (
        v["yardstick"]["gflops_before_steps"].as_f64().unwrap(),
        v["yardstick"]["gflops_after_steps"].as_f64().unwrap(),
    );
    assert_eq!(yardstick, before.max(after), "{v}");
    let steps = v["train_step"].as_array().unwrap();
    // Two models x two batches x float and QAT, each measured against the yardstick.
    assert_eq!(steps.len(), 8, "{v}");
    for s in steps {
        let (ms, batch) = (s["step_ms"].as_f64().unwrap(), s["batch"].as_f64().unwrap());
        assert!((s["images_per_sec"].as_f64().unwrap() - batch / ms * 1e3).abs() < 1e-6 * batch / ms * 1e3, "{s}");
        let ratio = s["gflops"].as_f64().unwrap() / yardstick;
        assert!((s["ratio_to_yardstick"].as_f64().unwrap() - ratio).abs() <= 1e-9 * ratio.max(1.0), "{s}");
        assert!(s["gpu_memory_bytes"].as_u64().unwrap() > 0, "{s}");
    }
    // The QAT step holds more than the float one (ranges, fake-quant copies).
    assert!(steps[1]["gpu_memory_bytes"].as_u64() > steps[0]["gpu_memory_bytes"].as_u64(), "{v}");
    let profiles = v["kernel_profile"].as_array().unwrap();
    assert_eq!(profiles.len(), 2, "{v}");
    let shares: f64 = profiles[0]["kernels"].as_array().unwrap().iter().map(|k| k["share"].as_f64().unwrap()).sum();
    assert!((shares - 1.0).abs() < 1e-6, "{v}");
    fails_with(&["bench", "--batch", "0"], &["--batch 0"]);
}

/// Writes `pixels` (h x w grey) as a PNG.
fn write_png(path: &Path, pixels: &[u8], [h, w]: [u32; 2]) {
    image::GrayImage::from_raw(w, h, pixels.to_vec()).unwrap().save(path).unwrap();
}

#[test]
fn predict_gives_the_interpreters_logits_for_png_files_and_folders() {
    let dir = tmp_dir("predict");
    let model_path = a_model(&dir);
    let model = qat_int8::format::read(&model_path).unwrap();
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    let mut rng = wgpu_qat::data::rng::Rng::new(5);
    let mut want = Vec::new();
    for k in 0..3 {
        let pixels: Vec<u8> = (0..784).map(|_| (rng.next_u64() & 0xff) as u8).collect();
        write_png(&images.join(format!("digit{k}.png")), &pixels, [28, 28]);
        want.push(qat_int8::interpreter::run_image(&model, &pixels).unwrap());
    }
    // A folder (name order) and a file: PNG is lossless, so the logits are the interpreter's.
    let first = images.join("digit0.png");
    let args = ["predict", "--model", model_path.to_str().unwrap(), "--top-k", "3", "--json"];
    let (code, out, err) = qat(&[&args[..], &[images.to_str().unwrap(), first.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let preds = v["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), 4);
    for (p, w) in preds.iter().zip(want.iter().chain(want.iter().take(1))) {
        let logits: Vec<i8> = p["logits"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap() as i8).collect();
        assert_eq!(&logits, w, "{p}");
        // The top class is the largest logit; scores fall.
        let top = p["top"].as_array().unwrap();
        assert_eq!(top.len(), 3);
        let best = (0..w.len()).max_by_key(|&c| (w[c], std::cmp::Reverse(c))).unwrap();
        assert_eq!(top[0]["class"].as_u64().unwrap() as usize, best, "{p}");
        let s: Vec<f64> = top.iter().map(|t| t["score"].as_f64().unwrap()).collect();
        assert!(s.windows(2).all(|x| x[0] >= x[1]) && s[0] <= 1.0 && s[2] >= 0.0, "{p}");
    }
    // --invert reads 255 - v.
    let pixels = image::open(&first).unwrap().to_luma8().into_raw();
    let inverted: Vec<u8> = pixels.iter().map(|v| 255 - v).collect();
    let (code, out, err) =
        qat(&["predict", "--model", model_path.to_str().unwrap(), "--invert", "--json", first.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let logits: Vec<i8> =
        v["predictions"][0]["logits"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap() as i8).collect();
    assert_eq!(logits, qat_int8::interpreter::run_image(&model, &inverted).unwrap());
    // Another size and colour are converted (grey, resized); plain text names the file.
    let big = dir.join("big.jpg");
    image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 90])).save(&big).unwrap();
    let (code, out, err) = qat(&["predict", "--model", model_path.to_str().unwrap(), big.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("{}: ", big.display())), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn predict_names_corrupt_truncated_and_missing_images() {
    let dir = tmp_dir("predict-bad");
    let model = a_model(&dir);
    let m = model.to_str().unwrap();
    let good = dir.join("good.png");
    write_png(&good, &[7u8; 784], [28, 28]);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.join("truncated.png");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let corrupt = dir.join("corrupt.jpg");
    std::fs::write(&corrupt, b"\xff\xd8\xff this is not a jpeg").unwrap();
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for bad in [&truncated, &corrupt] {
        fails_with(&["predict", "--model", m, bad.to_str().unwrap()], &[bad.to_str().unwrap(), "not a PNG or JPEG"]);
    }
    fails_with(&["predict", "--model", m, empty.to_str().unwrap()], &[empty.to_str().unwrap(), "no images"]);
    let missing = dir.join("missing.png");
    fails_with(&["predict", "--model", m, missing.to_str().unwrap()], &[missing.to_str().unwrap()]);
    fails_with(&["predict", "--model", m, "--top-k", "0", good.to_str().unwrap()], &["--top-k"]);
    fails_with(&["predict", "--model", dir.join("none.qat").to_str().unwrap(), good.to_str().unwrap()], &["none.qat"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
