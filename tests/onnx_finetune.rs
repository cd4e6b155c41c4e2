//! Starting from an imported ONNX model, through the `qat` binary (GPU, MNIST): QAT fine-tuning
//! (`train --init model.onnx`) and post-training quantization (`calibrate`) of the PyTorch
//! fixture both give int8 models about as accurate as the float model they start from. The full
//! test set's figures are in the README; here a subset keeps it quick.

mod common;

use std::path::Path;
use std::process::Command;

fn qat(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_qat")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !stderr.contains("panicked"), "qat {args:?}:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn an_imported_model_fine_tunes_with_qat_and_calibrates_with_ptq() {
    if common::gpu().is_none() || common::mnist().is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("qat-onnx-finetune-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let onnx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx/pytorch_dwbn.onnx");
    let (onnx, metrics, out) = (onnx.to_str().unwrap(), dir.join("m.json"), dir.join("qat.qat"));
    qat(&[
        "train",
        "--init",
        onnx,
        "--epochs",
        "0",
        "--qat-epochs",
        "1",
        "--batch",
        "32",
        "--lr",
        "1e-3",
        "--train-limit",
        "2000",
        "--test-limit",
        "1000",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--metrics",
        metrics.to_str().unwrap(),
    ]);
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&metrics).unwrap()).unwrap();
    let (float, int8) = (m["float_test_acc"].as_f64().unwrap(), m["int8_test_acc"].as_f64().unwrap());
    eprintln!("QAT from the imported model: float {float:.4}, int8 {int8:.4}");
    assert!(float > 0.9, "the imported model's float accuracy {float}");
    assert!(int8 >= float - 0.01, "QAT int8 {int8} against float {float}");
    assert_eq!(m["model"], "pytorch_dwbn");

    let ptq = dir.join("ptq.qat");
    let report = qat(&[
        "calibrate",
        "--init",
        onnx,
        "--images",
        "300",
        "--test-limit",
        "1000",
        "--out",
        ptq.to_str().unwrap(),
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    let (pf, pi) = (r["float_test_acc"].as_f64().unwrap(), r["int8_test_acc"].as_f64().unwrap());
    eprintln!("PTQ of the imported model: float {pf:.4}, int8 {pi:.4}");
    assert_eq!(pf, float, "the same float model on the same images");
    assert!(pi >= pf - 0.02, "PTQ int8 {pi} against float {pf}");
    // The PTQ model is a valid int8 model that eval reads.
    let eval = qat(&["eval", "--model", ptq.to_str().unwrap(), "--limit", "1000", "--json"]);
    let e: serde_json::Value = serde_json::from_str(&eval).unwrap();
    assert_eq!(e["int8_test_acc"].as_f64(), Some(pi));
}
