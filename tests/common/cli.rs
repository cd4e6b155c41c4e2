//! Running the `qat` binary in tests: its exit code, stdout and stderr (never a panic), and the
//! helpers the command-line tests share.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `qat args` (lavapipe on the submitting thread, no device-select layer); asserts that it
/// did not panic; returns (exit code, stdout, stderr).
pub fn qat(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qat"))
        .args(args)
        .env("LP_NUM_THREADS", "0")
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "qat {args:?} panicked:\n{stderr}");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// Runs `args`, expects exit 1 and an "error:" line with every needle in stderr; returns stderr.
pub fn fails_with(args: &[&str], needles: &[&str]) -> String {
    let (code, _, err) = qat(args);
    assert_eq!(code, 1, "qat {args:?} should fail with 1:\n{err}");
    assert!(err.contains("error: "), "qat {args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "qat {args:?}: stderr lacks {n:?}:\n{err}");
    }
    err
}

/// A fresh folder for test `name` of binary `binary`.
pub fn tmp_dir(binary: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qat-{binary}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A path as the `&str` an argument list takes.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
