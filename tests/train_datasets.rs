//! Training on data sets other than MNIST, through the `qat` binary (GPU): the built-in
//! cifar-resnet8 on a synthetic CIFAR-10-format data set, with per-channel normalization and
//! crop/flip augmentation, exports an int8 model that stores the normalization and agrees with
//! the fake-quant forward; predict reads RGB images with it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use wgpu_qat::data::rng::Rng;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qat-train-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A CIFAR-10 record of class `k`: a class colour, stripes whose direction and period depend on
/// the class, and noise; learnable, but not from one pixel.
fn record(k: u8, rng: &mut Rng) -> Vec<u8> {
    let mut r = vec![k];
    let base = [(k as u32 * 37) % 256, (k as u32 * 91 + 50) % 256, (k as u32 * 53 + 120) % 256];
    for c in base {
        for y in 0..32u32 {
            for x in 0..32u32 {
                let stripe = (if k % 2 == 1 { x } else { y } / (2 + k as u32 / 2)) % 2;
                let v = c as f32 * 0.5 + stripe as f32 * 70.0 + rng.uniform(0.0, 90.0);
                r.push(v.clamp(0.0, 255.0) as u8);
            }
        }
    }
    r
}

fn write_synthetic_cifar(dir: &Path, train: usize, test: usize) {
    let mut rng = Rng::new(8);
    let mut batch = |n: usize| (0..n).flat_map(|i| record((i * 7 % 10) as u8, &mut rng)).collect::<Vec<u8>>();
    std::fs::write(dir.join("data_batch_1.bin"), batch(train)).unwrap();
    std::fs::write(dir.join("test_batch.bin"), batch(test)).unwrap();
}

fn qat(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qat")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "qat {args:?} panicked:\n{stderr}");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

#[test]
fn cifar_resnet8_trains_on_cifar_format_data_exports_and_agrees_with_its_int8_model() {
    if common::gpu().is_none() {
        return;
    }
    let dir = tmp_dir("cifar");
    write_synthetic_cifar(&dir, 360, 200);
    let (out, metrics) = (dir.join("r8.qat"), dir.join("r8.json"));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let (code, _, err) = qat(&[
        "train",
        "--model",
        "cifar-resnet8",
        "--data",
        &s(&dir),
        "--epochs",
        "1",
        "--qat-epochs",
        "1",
        "--batch",
        "32",
        "--normalize",
        "--augment",
        "crop,flip",
        "--quiet",
        "--out",
        &s(&out),
        "--metrics",
        &s(&metrics),
    ]);
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&metrics).unwrap()).unwrap();
    assert_eq!(m["data_format"], "cifar10");
    assert_eq!(m["augment"], serde_json::json!(["crop", "flip"]));
    let int8 = m["int8_test_acc"].as_f64().unwrap();
    let agreement = m["top1_agreement"].as_f64().unwrap();
    eprintln!("cifar-resnet8 on synthetic CIFAR: int8 {int8:.4}, agreement {agreement:.4}");
    assert!(int8 >= 0.5, "10 classes, chance 0.1: int8 accuracy {int8}");
    assert!(agreement >= 0.999, "top-1 agreement {agreement}");
    // The normalization measured on the training images is in the model file.
    let model = qat_int8::format::read(&out).unwrap();
    let mean: Vec<f32> = serde_json::from_value(m["input_mean"].clone()).unwrap();
    assert_eq!(model.input_norm.mean, mean);
    assert_eq!(model.input_shape, [32, 32, 3]);
    assert!(mean.iter().all(|&v| v > 0.05 && v < 0.95) && model.input_norm.std.iter().all(|&v| v > 0.05));

    // `qat eval` reads the same data set; `qat predict` takes an RGB image of class 3.
    let (code, stdout, err) = qat(&["eval", "--model", &s(&out), "--data", &s(&dir), "--json"]);
    assert_eq!(code, 0, "{err}");
    let e: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(e["int8_test_acc"].as_f64(), Some(int8), "{stdout}");
    // The GPU int8 kernels give the interpreter's bytes on the trained model (normalized RGB
    // input), with every kernel variant the device has.
    let (code, stdout, err) = qat(&["verify", "--model", &s(&out), "--data", &s(&dir), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["gpu_int8_differing_bytes"], 0, "{stdout}");
    let variants = v["gpu_int8_variants"].as_array().unwrap();
    assert!(!variants.is_empty() && variants.iter().all(|x| x["differing_bytes"] == 0), "{stdout}");
    let rec = record(3, &mut Rng::new(99));
    let rgb: Vec<u8> = (0..1024).flat_map(|i| [rec[1 + i], rec[1025 + i], rec[2049 + i]]).collect();
    let png = dir.join("three.png");
    image::RgbImage::from_raw(32, 32, rgb).unwrap().save(&png).unwrap();
    let (code, stdout, err) = qat(&["predict", "--model", &s(&out), &s(&png), "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("\"class\""), "{stdout}");
}
