//! Checkpoints and float weights. Through the `qat` binary (GPU): a run killed with SIGKILL
//! mid-epoch, once in the float phase and once in the QAT phase, and resumed each time, writes
//! the same model file, byte for byte, as the run never stopped (and as a run that never
//! checkpoints); `--save-float` then `--init` round-trips the float weights. GPU-free: corrupt,
//! truncated, foreign and mismatched checkpoints and weight files are refused by name.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wgpu_qat::model::{float_weights, spec::ModelSpec};
use wgpu_qat::train::checkpoint;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qat-ckpt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn qat(args: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qat")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "qat {args:?} panicked:\n{stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

/// The words of `base` followed by `extra`.
fn args(base: &str, extra: &[&str]) -> Vec<String> {
    base.split(' ').chain(extra.iter().copied()).map(String::from).collect()
}

/// The checkpoint's progress record (its safetensors metadata), or "" while there is none.
fn progress(dir: &Path) -> String {
    let Ok(bytes) = std::fs::read(dir.join(checkpoint::FILE)) else { return String::new() };
    match safetensors::SafeTensors::read_metadata(&bytes) {
        Ok((_, m)) => m.metadata().clone().unwrap_or_default().get("progress").cloned().unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Starts `args`, kills it with SIGKILL as soon as the checkpoint in `dir` says `phase`, and
/// returns the progress record it was killed after.
fn kill_when(args: &[String], dir: &Path, phase: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qat")).args(args).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    let want = format!("\"phase\":\"{phase}\"");
    loop {
        let p = progress(dir);
        if p.contains(&want) && !p.contains("\"step\":0,") {
            child.kill().unwrap(); // SIGKILL on Unix
            let status = child.wait().unwrap();
            assert!(!status.success(), "the run ended before it could be killed ({p})");
            return p;
        }
        assert!(child.try_wait().unwrap().is_none(), "the run ended before a {phase} checkpoint mid-epoch");
        assert!(start.elapsed() < Duration::from_secs(300), "no {phase} checkpoint after 300 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_run_killed_and_resumed_writes_the_same_model_bytes() {
    if common::gpu().is_none() || common::mnist().is_none() {
        return;
    }
    let dir = tmp_dir("resume");
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let with = |extra: &[&str]| {
        args(
            "train --model mnist-cnn --epochs 2 --qat-epochs 1 --batch 16 --train-limit 3000 --test-limit 500 --quiet",
            extra,
        )
    };

    let (code, err) = qat(&with(&["--out", &p("plain.qat")]));
    assert_eq!(code, 0, "{err}");
    let (code, err) =
        qat(&with(&["--out", &p("whole.qat"), "--checkpoint", &p("ck-whole"), "--checkpoint-every", "7"]));
    assert_eq!(code, 0, "{err}");

    let run = with(&["--out", &p("killed.qat"), "--checkpoint", &p("ck"), "--checkpoint-every", "7"]);
    let first = kill_when(&run, &dir.join("ck"), "float");
    let resume = with(&["--out", &p("killed.qat"), "--resume", &p("ck"), "--checkpoint-every", "7"]);
    let second = kill_when(&resume, &dir.join("ck"), "qat");
    eprintln!("killed after {first}\nand after {second}");
    assert!(!dir.join("killed.qat").exists(), "a killed run wrote no model");
    let (code, err) = qat(&resume);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty() || !err.contains("error"), "{err}");

    let bytes = |n: &str| std::fs::read(dir.join(n)).unwrap();
    assert!(bytes("whole.qat") == bytes("plain.qat"), "checkpointing changed the model");
    assert!(bytes("killed.qat") == bytes("whole.qat"), "the resumed run's model differs from the uninterrupted run's");

    // A truncated checkpoint is refused by name (and nothing is trained).
    let cut = dir.join("ck-cut");
    std::fs::create_dir_all(&cut).unwrap();
    let whole = std::fs::read(dir.join("ck").join(checkpoint::FILE)).unwrap();
    std::fs::write(cut.join(checkpoint::FILE), &whole[..whole.len() * 2 / 3]).unwrap();
    let (code, err) = qat(&with(&["--out", &p("cut.qat"), "--resume", &p("ck-cut")]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ck-cut") && err.contains("truncated or corrupt"), "{err}");
    assert!(!dir.join("cut.qat").exists());

    // Resuming with other settings is refused, naming each.
    let other: Vec<String> = with(&["--out", &p("other.qat"), "--resume", &p("ck"), "--seed", "2"]);
    let (code, err) = qat(&other);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("checkpoint.safetensors") && err.contains("--seed: 1 in the checkpoint, 2 now"), "{err}");
    // Settings are named by their flags and spelled as users give them, never as Rust values.
    let other: Vec<String> = with(&["--out", &p("other.qat"), "--resume", &p("ck"), "--augment", "flip"]);
    let (code, err) = qat(&other);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--augment: none in the checkpoint, flip"), "{err}");
    assert!(!err.contains("Some(") && !err.contains('{') && !err.contains("Augment"), "{err}");
}

#[test]
fn save_float_then_init_starts_from_the_saved_weights() {
    if common::gpu().is_none() || common::mnist().is_none() {
        return;
    }
    let dir = tmp_dir("float");
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let args = |epochs: &str, extra: &[&str]| -> Vec<String> {
        "train --model mnist-dwbn --qat-epochs 1 --batch 32 --train-limit 1200 --test-limit 300 --quiet --epochs"
            .split(' ')
            .chain([epochs])
            .chain(extra.iter().copied())
            .map(String::from)
            .collect()
    };
    let (code, err) =
        qat(&args("1", &["--out", &p("a.qat"), "--save-float", &p("a.safetensors"), "--metrics", &p("a.json")]));
    assert_eq!(code, 0, "{err}");
    let spec = ModelSpec::builtin("mnist-dwbn").unwrap();
    let saved = float_weights::read(&dir.join("a.safetensors"), &spec).unwrap();
    assert_eq!(saved.len(), 6);
    assert!(saved[0].bn.is_some() && saved[5].bn.is_none());
    // With no float epochs, the float test accuracy is that of the starting weights: the saved
    // ones (batch-norm statistics included) score as the first run's final (fake-quant)
    // evaluation did, random ones at chance.
    let float_acc = |extra: &[&str], name: &str| -> f64 {
        let mut a = args("0", &["--out", &p(&format!("{name}.qat")), "--metrics", &p(&format!("{name}.json"))]);
        a.extend(extra.iter().map(|s| s.to_string()));
        let (code, err) = qat(&a);
        assert_eq!(code, 0, "{err}");
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap()).unwrap();
        m["float_test_acc"].as_f64().unwrap()
    };
    let (loaded, random) = (float_acc(&["--init", &p("a.safetensors")], "b"), float_acc(&[], "c"));
    eprintln!("float test accuracy from saved weights {loaded:.4}, from random ones {random:.4}");
    let a: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("a.json")).unwrap()).unwrap();
    let first = a["qat_test_acc"].as_f64().unwrap();
    assert!((loaded - first).abs() < 0.05 && random < 0.3, "saved {loaded} (first run {first}), random {random}");
}

#[test]
fn corrupt_truncated_and_foreign_checkpoints_and_weights_are_refused_by_name() {
    let dir = tmp_dir("bad");
    // Missing folder, then a folder without a checkpoint.
    let e = checkpoint::load(&dir.join("nope")).unwrap_err().to_string();
    assert!(e.contains("nope") && e.contains("not a checkpoint folder"), "{e}");
    let e = checkpoint::load(&dir).unwrap_err().to_string();
    assert!(e.contains("checkpoint.safetensors"), "{e}");
    // Garbage, then a valid safetensors file that is not a checkpoint.
    let file = dir.join(checkpoint::FILE);
    std::fs::write(&file, b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all").unwrap();
    let e = checkpoint::load(&dir).unwrap_err().to_string();
    assert!(e.contains("checkpoint.safetensors") && e.contains("truncated or corrupt"), "{e}");
    let spec = ModelSpec::mnist_cnn();
    let params = wgpu_qat::train::network::initial_params(&spec, 3).unwrap();
    let weights = float_weights::to_bytes(&spec, &params).unwrap();
    std::fs::write(&file, &weights).unwrap();
    let e = checkpoint::load(&dir).unwrap_err().to_string();
    assert!(
        e.contains("checkpoint.safetensors") && e.contains("wgpu-qat float weights") && e.contains("this build reads"),
        "{e}"
    );

    // Float weights: they round-trip; truncated, foreign-model and non-finite files are refused.
    let w = dir.join("w.safetensors");
    std::fs::write(&w, &weights).unwrap();
    let back = float_weights::read(&w, &spec).unwrap();
    assert_eq!(back[0].weight, params[0].weight);
    assert_eq!(back[1].bias, params[1].bias);
    std::fs::write(&w, &weights[..weights.len() - 10]).unwrap();
    let e = float_weights::read(&w, &spec).unwrap_err().to_string();
    assert!(e.contains("w.safetensors") && e.contains("truncated or corrupt"), "{e}");
    std::fs::write(&w, &weights).unwrap();
    let e = float_weights::read(&w, &ModelSpec::builtin("mnist-dwbn").unwrap()).unwrap_err().to_string();
    assert!(e.contains("w.safetensors") && e.contains("no tensor \"conv1.weight\""), "{e}");
    let mut nan = params.clone();
    nan[0].weight[5] = f32::NAN;
    std::fs::write(&w, float_weights::to_bytes(&spec, &nan).unwrap()).unwrap();
    let e = float_weights::read(&w, &spec).unwrap_err().to_string();
    assert!(e.contains("conv.weight") && e.contains("NaN at index 5"), "{e}");
}

/// One case per field a resumed run checks: each edit is sealed with a fresh checksum (so the
/// checksum is not what refuses it), the resume exits 1 naming the field, writes no model, and
/// leaves the checkpoint byte-identical; a byte flipped without resealing is refused by the
/// checksum; the untouched checkpoint resumes.
#[test]
fn tampered_checkpoints_are_refused_naming_the_field() {
    if common::gpu().is_none() || common::mnist().is_none() {
        return;
    }
    let dir = tmp_dir("tamper");
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let with = |extra: &[&str]| {
        args(
            "train --model mnist-cnn --epochs 1 --qat-epochs 1 --batch 16 --train-limit 3000 --test-limit 100 --quiet",
            extra,
        )
    };
    let (code, err) = qat(&with(&["--out", &p("whole.qat")]));
    assert_eq!(code, 0, "{err}");
    // A checkpoint mid-way through the QAT epoch: the run is killed there.
    kill_when(
        &with(&["--out", &p("killed.qat"), "--checkpoint", &p("ck"), "--checkpoint-every", "7"]),
        &dir.join("ck"),
        "qat",
    );
    let good = checkpoint::load(&dir.join("ck")).unwrap();
    let at = good.progress.position;
    assert!(at.phase == checkpoint::Phase::Qat && at.epoch == 0 && at.step > 0, "{at:?}");

    type Edit = Box<dyn Fn(&mut checkpoint::Checkpoint)>;
    let weight = "conv.weight".to_string();
    let cases: Vec<(&str, Edit, &[&str])> = vec![
        ("order-past", Box::new(|c| c.order[3] = u32::MAX), &["train.order", "entry 3 is 4294967295", "permutation"]),
        ("order-zero", Box::new(|c| c.order.iter_mut().for_each(|o| *o = 0)), &["train.order", "permutation"]),
        ("order-short", Box::new(|c| c.order.truncate(100)), &["train.order", "100 entries", "2700 training samples"]),
        ("order-shuffled", Box::new(|c| c.order.swap(0, 1)), &["train.order", "not the sample order the seed gives"]),
        ("step", Box::new(|c| c.progress.position.step = 1_000_000_000), &["position.step", "1000000000"]),
        ("epoch", Box::new(|c| c.progress.position.epoch = 1_000_000), &["position.epoch", "1000000"]),
        ("global", Box::new(|c| c.progress.position.global_step = 1_000_000_000_000), &["position.global_step"]),
        ("phase", Box::new(|c| c.progress.position.phase = checkpoint::Phase::Float), &["position.global_step"]),
        ("adam", Box::new(|c| c.progress.position.adam_t += 1), &["position.adam_t"]),
        ("rng", Box::new(|c| c.progress.position.rng = 0), &["position.rng"]),
        ("accuracy", Box::new(|c| c.progress.float_test_acc = Some(7.0)), &["float_test_acc", "7"]),
        (
            "resized",
            Box::new(move |c| {
                let t = c.tensors.get_mut("conv.weight").unwrap();
                t.truncate(t.len() - 16);
            }),
            &["tensor \"conv.weight\"", "bytes, the model's buffer has"],
        ),
        (
            "nan",
            Box::new(move |c| {
                let t = c.tensors.get_mut(&weight).unwrap();
                t[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
            }),
            &["tensor \"conv.weight\"", "NaN at index 2", "non-finite value"],
        ),
    ];
    for (name, edit, needles) in cases {
        let mut c = good.clone();
        edit(&mut c);
        let ck = dir.join(format!("ck-{name}"));
        std::fs::create_dir_all(&ck).unwrap();
        let bytes = c.to_bytes().unwrap();
        std::fs::write(ck.join(checkpoint::FILE), &bytes).unwrap();
        let out = dir.join(format!("{name}.qat"));
        let (code, err) = qat(&with(&["--out", out.to_str().unwrap(), "--resume", ck.to_str().unwrap()]));
        assert_eq!(code, 1, "{name}: {err}");
        for n in needles.iter().chain(&["checkpoint.safetensors"]) {
            assert!(err.contains(n), "{name}: stderr lacks {n:?}:\n{err}");
        }
        assert!(!err.contains("diverged") && !err.contains("epoch 1/"), "{name}: refused after training began:\n{err}");
        assert!(!out.exists(), "{name}: a model was written");
        assert_eq!(std::fs::read(ck.join(checkpoint::FILE)).unwrap(), bytes, "{name}: the checkpoint changed");
    }
    // A byte flipped in a tensor without resealing: the checksum.
    let mut bytes = std::fs::read(dir.join("ck").join(checkpoint::FILE)).unwrap();
    let last = bytes.len() - 5;
    bytes[last] ^= 0x40;
    let ck = dir.join("ck-flipped");
    std::fs::create_dir_all(&ck).unwrap();
    std::fs::write(ck.join(checkpoint::FILE), &bytes).unwrap();
    let (code, err) = qat(&with(&["--out", &p("flipped.qat"), "--resume", ck.to_str().unwrap()]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("SHA-256 checksum does not match"), "{err}");
    // The checkpoint as written, resealed by the same code: it resumes to the same model.
    let ck = dir.join("ck-resealed");
    std::fs::create_dir_all(&ck).unwrap();
    std::fs::write(ck.join(checkpoint::FILE), good.to_bytes().unwrap()).unwrap();
    let (code, err) = qat(&with(&["--out", &p("resumed.qat"), "--resume", ck.to_str().unwrap()]));
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(dir.join("resumed.qat")).unwrap() == std::fs::read(dir.join("whole.qat")).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}
