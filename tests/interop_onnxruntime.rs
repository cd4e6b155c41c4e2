//! Interop with the real onnxruntime (from PyPI, in the venv that `.ci/run` creates): every
//! built-in model, exported as ONNX in QDQ form, loads without warnings, runs on the same float
//! input as the `.tflite`, and agrees with our CPU int8 interpreter: outputs within a few LSB
//! (onnxruntime rescales in float32 and rounds half to even) and the same top-1 wherever ours
//! leads by more than twice that difference. GPU-free.
//!
//! The Python comes from `$QAT_INTEROP_PYTHON`, else `.venv-interop/bin/python`; without one the
//! test skips with a message, and `QAT_REQUIRE_INTEROP=1` (as in CI) makes that a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use wgpu_qat::bench::{synthetic_split, synthetic_state};
use wgpu_qat::export::quantize::quantize;
use wgpu_qat::model::ModelSpec;
use wgpu_qat::qat_int8::export::onnx::{to_onnx, OnnxOptions};
use wgpu_qat::reference::int8::run_batch;
use wgpu_qat::train::network::WeightQuant;

fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("QAT_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-interop/bin/python"));
    if Command::new(&candidate).args(["-c", "import onnxruntime, numpy"]).output().is_ok_and(|o| o.status.success()) {
        return Some(candidate);
    }
    if std::env::var("QAT_REQUIRE_INTEROP").as_deref() == Ok("1") {
        panic!("QAT_REQUIRE_INTEROP=1 but {} cannot import onnxruntime", candidate.display());
    }
    eprintln!("SKIP: no Python with onnxruntime at {} (run .ci/run, or set QAT_INTEROP_PYTHON)", candidate.display());
    None
}

fn argmax(row: &[i8]) -> usize {
    (0..row.len()).fold(0, |best, i| if row[i] > row[best] { i } else { best })
}

#[test]
fn onnxruntime_runs_the_qdq_export_and_agrees() {
    let Some(python) = python() else { return };
    let dir = std::env::temp_dir().join(format!("qat-onnx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pixels, count) = match common::mnist() {
        Some(d) => (d.test.images[..1000 * 784].to_vec(), 1000),
        None => (synthetic_split(1000, 784, 12).images, 1000),
    };
    let images = dir.join("images.u8");
    std::fs::write(&images, &pixels).unwrap();
    let mut models = Vec::new();
    for name in ["mnist-cnn", "mnist-dwbn", "mnist-resnet"] {
        models.push((name.to_string(), quantize(&synthetic_state(&ModelSpec::builtin(name).unwrap(), 21).unwrap()).unwrap()));
    }
    let mut state = synthetic_state(&ModelSpec::builtin("mnist-dwbn").unwrap(), 22).unwrap();
    state.weight_quant = WeightQuant::PerTensor;
    models.push(("mnist-dwbn per-tensor".into(), quantize(&state).unwrap()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/run_onnx.py");
    for (name, model) in &models {
        let path = dir.join("model.onnx");
        std::fs::write(&path, to_onnx(model, OnnxOptions::default()).unwrap()).unwrap();
        let out = dir.join("out.bin");
        let result = Command::new(&python)
            .arg(&script)
            .args([path.to_str().unwrap(), images.to_str().unwrap(), "28", "28", "1", &count.to_string(), out.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(result.status.success(), "{name}: onnxruntime failed:\n{stderr}");
        let report: serde_json::Value = serde_json::from_slice(result.stdout.trim_ascii()).unwrap();
        assert!(report["warnings"].as_array().unwrap().is_empty() && !stderr.contains("W:") && !stderr.contains("E:"), "{name}: {report} {stderr}");
        assert_eq!(report["output"]["type"], "tensor(int8)", "{name}");
        let theirs: Vec<i8> = std::fs::read(&out).unwrap().iter().map(|&b| b as i8).collect();
        let ours = run_batch(model, &pixels, count).unwrap();
        assert_eq!(theirs.len(), ours.len(), "{name}");
        let classes = ours.len() / count;
        let row = |v: &[i8], i: usize| v[i * classes..(i + 1) * classes].to_vec();
        let max_lsb = theirs.iter().zip(&ours).map(|(&a, &b)| (a as i32 - b as i32).abs()).max().unwrap_or(0);
        let differing = theirs.iter().zip(&ours).filter(|(a, b)| a != b).count();
        let agree = (0..count).filter(|&i| argmax(&row(&theirs, i)) == argmax(&row(&ours, i))).count();
        let clear_disagreements = (0..count)
            .filter(|&i| {
                let mut r = row(&ours, i);
                r.sort_unstable_by(|a, b| b.cmp(a));
                (r[0] as i32 - r[1] as i32) > 2 * max_lsb && argmax(&row(&theirs, i)) != argmax(&row(&ours, i))
            })
            .count();
        eprintln!(
            "{name}: onnxruntime {}: {count} images, top-1 agreement {:.4}, max {max_lsb} LSB, {differing} of {} bytes differ",
            report["onnxruntime"],
            agree as f64 / count as f64,
            ours.len()
        );
        assert!(max_lsb <= 4, "{name}: onnxruntime differs by {max_lsb} LSB");
        assert_eq!(clear_disagreements, 0, "{name}: onnxruntime changed a clear top-1");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
