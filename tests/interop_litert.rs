//! Interop with the real LiteRT (`ai-edge-litert` from PyPI, in the venv that `.ci/run`
//! creates): every built-in model, exported as `.tflite`, runs in LiteRT's reference kernels
//! (`BUILTIN_REF`) to the very int8 output bytes of our CPU interpreter, image for image, and
//! LiteRT's default path (XNNPACK, float rescales) agrees on top-1. GPU-free.
//!
//! The Python comes from `$QAT_INTEROP_PYTHON`, else `.venv-interop/bin/python` in the
//! repository. Without one the test skips with a message; `QAT_REQUIRE_INTEROP=1` (as in CI)
//! makes that a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use wgpu_qat::bench::{synthetic_split, synthetic_state};
use wgpu_qat::export::model::QuantModel;
use wgpu_qat::export::quantize::quantize;
use wgpu_qat::model::ModelSpec;
use wgpu_qat::qat_int8::export::tflite::{to_tflite, TfliteOptions};
use wgpu_qat::reference::int8::run_batch;
use wgpu_qat::train::network::WeightQuant;

fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("QAT_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-interop/bin/python"));
    let works = Command::new(&candidate).args(["-c", "import ai_edge_litert.interpreter, numpy"]).output().is_ok_and(|o| o.status.success());
    if works {
        return Some(candidate);
    }
    if std::env::var("QAT_REQUIRE_INTEROP").as_deref() == Ok("1") {
        panic!("QAT_REQUIRE_INTEROP=1 but {} cannot import ai_edge_litert", candidate.display());
    }
    eprintln!("SKIP: no Python with ai-edge-litert at {} (run .ci/run, or set QAT_INTEROP_PYTHON)", candidate.display());
    None
}

/// What LiteRT printed about the model, and its raw output bytes.
struct Run {
    report: serde_json::Value,
    stderr: String,
    output: Vec<u8>,
}

fn run_litert(python: &Path, tflite: &Path, images: &[u8], shape: [u32; 3], count: usize, resolver: &str) -> Run {
    let dir = tflite.parent().unwrap();
    let images_path = dir.join("images.u8");
    std::fs::write(&images_path, images).unwrap();
    let out = dir.join(format!("out-{resolver}.bin"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/run_tflite.py");
    let [h, w, c] = shape.map(|d| d.to_string());
    let result = Command::new(python)
        .arg(&script)
        .args([tflite.to_str().unwrap(), images_path.to_str().unwrap(), &h, &w, &c, &count.to_string(), resolver, out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(result.status.success(), "LiteRT failed on {}:\n{stderr}", tflite.display());
    let report = serde_json::from_slice(result.stdout.trim_ascii()).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&result.stdout)));
    Run { report, stderr, output: std::fs::read(&out).unwrap() }
}

fn argmax(row: &[i8]) -> usize {
    (0..row.len()).fold(0, |best, i| if row[i] > row[best] { i } else { best })
}

/// The test images: the first MNIST test images when present, else synthetic ones.
fn images(count: usize) -> (Vec<u8>, usize) {
    match common::mnist() {
        Some(data) => {
            let n = count.min(data.test.count);
            (data.test.images[..n * 784].to_vec(), n)
        }
        None => (synthetic_split(count, 784, 11).images, count),
    }
}

fn models() -> Vec<(String, QuantModel)> {
    let mut out = Vec::new();
    for name in ["mnist-cnn", "mnist-dwbn", "mnist-resnet"] {
        let spec = ModelSpec::builtin(name).unwrap();
        out.push((name.to_string(), quantize(&synthetic_state(&spec, 21).unwrap()).unwrap()));
    }
    let mut state = synthetic_state(&ModelSpec::builtin("mnist-dwbn").unwrap(), 22).unwrap();
    state.weight_quant = WeightQuant::PerTensor;
    out.push(("mnist-dwbn per-tensor".to_string(), quantize(&state).unwrap()));
    out
}

#[test]
fn litert_reference_kernels_give_our_int8_bytes_and_xnnpack_agrees() {
    let Some(python) = python() else { return };
    let dir = std::env::temp_dir().join(format!("qat-litert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pixels, count) = images(1000);
    for (name, model) in models() {
        let ours = run_batch(&model, &pixels, count).unwrap();
        let classes = ours.len() / count;
        let path = dir.join("model.tflite");
        std::fs::write(&path, to_tflite(&model, TfliteOptions::default()).unwrap()).unwrap();

        let reference = run_litert(&python, &path, &pixels, model.input_shape, count, "BUILTIN_REF");
        assert!(reference.report["warnings"].as_array().unwrap().is_empty(), "{name}: {}", reference.report);
        assert!(!reference.stderr.to_lowercase().contains("warning") && !reference.stderr.contains("ERROR"), "{name}: LiteRT said:\n{}", reference.stderr);
        let logits_quant = model.logits_quant();
        assert_eq!(reference.report["output"]["dtype"], "int8", "{name}");
        assert_eq!(reference.report["output"]["zero_point"], logits_quant.zero_point, "{name}");
        let theirs: Vec<i8> = reference.output.iter().map(|&b| b as i8).collect();
        assert_eq!(theirs.len(), ours.len(), "{name}");
        let differing = theirs.iter().zip(&ours).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{name}: {differing} of {} int8 output bytes differ from LiteRT's reference kernels", ours.len());

        let default = run_litert(&python, &path, &pixels, model.input_shape, count, "BUILTIN");
        let xnn: Vec<i8> = default.output.iter().map(|&b| b as i8).collect();
        let max_lsb = xnn.iter().zip(&ours).map(|(&a, &b)| (a as i32 - b as i32).abs()).max().unwrap_or(0);
        let row = |v: &[i8], i: usize| v[i * classes..(i + 1) * classes].to_vec();
        let agree = (0..count).filter(|&i| argmax(&row(&xnn, i)) == argmax(&row(&ours, i))).count();
        let agreement = agree as f64 / count as f64;
        // Where our top-1 leads by more than twice the largest byte difference, no float
        // rescale can change the ranking: XNNPACK must agree there. Random weights leave many
        // near-ties (where it may not, docs/NUMERICS.md); trained models are measured in the
        // README.
        let clear = |i: usize| {
            let mut r = row(&ours, i);
            r.sort_unstable_by(|a, b| b.cmp(a));
            (r[0] as i32 - r[1] as i32) > 2 * max_lsb
        };
        let clear_disagreements = (0..count).filter(|&i| clear(i) && argmax(&row(&xnn, i)) != argmax(&row(&ours, i))).count();
        eprintln!("{name}: {count} images, BUILTIN_REF differing bytes 0; XNNPACK top-1 agreement {agreement:.4}, max {max_lsb} LSB");
        assert!(max_lsb <= 2, "{name}: XNNPACK differs by {max_lsb} LSB");
        assert_eq!(clear_disagreements, 0, "{name}: XNNPACK changed a clear top-1");
    }
    // The float-output variant: a DEQUANTIZE of the same bytes.
    let (name, model) = &models()[0];
    let path = dir.join("float.tflite");
    std::fs::write(&path, to_tflite(model, TfliteOptions { float_output: true }).unwrap()).unwrap();
    let run = run_litert(&python, &path, &pixels[..784 * 10], model.input_shape, 10, "BUILTIN_REF");
    assert_eq!(run.report["output"]["dtype"], "float32", "{name}");
    let floats: Vec<f32> = run.output.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let q = model.logits_quant();
    let ours = run_batch(model, &pixels[..784 * 10], 10).unwrap();
    let want: Vec<f32> = ours.iter().map(|&v| q.dequantize(v)).collect();
    assert_eq!(floats, want, "{name}: DEQUANTIZE of the int8 logits");
    std::fs::remove_dir_all(&dir).unwrap();
}
