//! The real runtimes the interop tests run against (`ai-edge-litert` and `onnxruntime` from
//! PyPI, in the venv `.ci/run` creates), through the scripts in tests/interop/.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python with LiteRT and onnxruntime: `$QAT_INTEROP_PYTHON`, else `.venv-interop/bin/python`.
/// Without one, `None` and a message; `QAT_REQUIRE_INTEROP=1` (as in CI) makes that a failure.
pub fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("QAT_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-interop/bin/python"));
    let works = Command::new(&candidate)
        .args(["-c", "import ai_edge_litert.interpreter, onnxruntime, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(candidate);
    }
    if std::env::var("QAT_REQUIRE_INTEROP").as_deref() == Ok("1") {
        panic!("QAT_REQUIRE_INTEROP=1 but {} cannot import ai_edge_litert and onnxruntime", candidate.display());
    }
    eprintln!(
        "SKIP: no Python with ai-edge-litert and onnxruntime at {} (run .ci/run, or set QAT_INTEROP_PYTHON)",
        candidate.display()
    );
    None
}

/// Runs `script` (in tests/interop/) on `model_file` and `count` u8 images of `[h, w, c]`
/// (written beside the model); returns its JSON report, its stderr and the output bytes.
pub fn run_script(
    python: &Path,
    script: &str,
    model_file: &Path,
    images: &[u8],
    [h, w, c]: [u32; 3],
    count: usize,
    extra: &[&str],
) -> (serde_json::Value, String, Vec<u8>) {
    let dir = model_file.parent().unwrap();
    let images_path = dir.join("images.u8");
    std::fs::write(&images_path, &images[..count * (h * w * c) as usize]).unwrap();
    let out = dir.join("out.bin");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop").join(script);
    let mut args = vec![model_file.to_str().unwrap().to_string(), images_path.to_str().unwrap().to_string()];
    args.extend([h, w, c].map(|d| d.to_string()));
    args.push(count.to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(out.to_str().unwrap().to_string());
    let result = Command::new(python).arg(&script).args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(result.status.success(), "{} failed on {}:\n{stderr}", script.display(), model_file.display());
    let report = serde_json::from_slice(result.stdout.trim_ascii())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&result.stdout)));
    (report, stderr, std::fs::read(&out).unwrap())
}

fn argmax(row: &[i8]) -> usize {
    (0..row.len()).fold(0, |best, i| if row[i] > row[best] { i } else { best })
}

/// A float-rescaling runtime's int8 logits (XNNPACK, onnxruntime) against ours over `count`
/// images: (top-1 agreement, max LSB).
pub fn agreement(what: &str, theirs: &[i8], ours: &[i8], count: usize) -> (f64, i32) {
    assert_eq!(theirs.len(), ours.len(), "{what}");
    let classes = ours.len() / count;
    let row = |v: &[i8], i: usize| v[i * classes..(i + 1) * classes].to_vec();
    let max_lsb = theirs.iter().zip(ours).map(|(&a, &b)| (a as i32 - b as i32).abs()).max().unwrap_or(0);
    let agree = (0..count).filter(|&i| argmax(&row(theirs, i)) == argmax(&row(ours, i))).count();
    (agree as f64 / count as f64, max_lsb)
}

/// `agreement`, asserting at most `max_allowed` LSB apart and the same top-1 wherever ours
/// leads by more than twice the largest difference (elsewhere a near-tie may flip;
/// docs/NUMERICS.md).
pub fn close_to_ours(what: &str, theirs: &[i8], ours: &[i8], count: usize, max_allowed: i32) -> (f64, i32) {
    let (agree, max_lsb) = agreement(what, theirs, ours, count);
    let classes = ours.len() / count;
    let row = |v: &[i8], i: usize| v[i * classes..(i + 1) * classes].to_vec();
    let clear_disagreements = (0..count)
        .filter(|&i| {
            let mut r = row(ours, i);
            r.sort_unstable_by(|a, b| b.cmp(a));
            (r[0] as i32 - r[1] as i32) > 2 * max_lsb && argmax(&row(theirs, i)) != argmax(&row(ours, i))
        })
        .count();
    assert!(max_lsb <= max_allowed, "{what}: differs by {max_lsb} LSB");
    assert_eq!(clear_disagreements, 0, "{what}: a clear top-1 changed");
    (agree, max_lsb)
}

/// Whether this CPU's 8-bit dot products may saturate in onnxruntime: an x86-64 CPU without VNNI
/// multiplies u8 by s8 in pairs summed in int16 (`pmaddubsw`), which saturates where two
/// products of large activations and weights exceed 32767, so a fused int8 conv can be far off.
/// A CPU with VNNI (`vpdpbusd`), and every non-x86 CPU, sums in int32.
pub fn saturating_cpu() -> bool {
    cfg!(target_arch = "x86_64") && !std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|info| info.contains("vnni"))
}

/// `close_to_ours` for onnxruntime: on a CPU whose int8 dot products may saturate
/// (`saturating_cpu`), only top-1 agreement of at least 0.98 is asserted, and the difference
/// is printed.
pub fn close_to_onnxruntime(what: &str, theirs: &[i8], ours: &[i8], count: usize, max_allowed: i32) -> (f64, i32) {
    if !saturating_cpu() {
        return close_to_ours(what, theirs, ours, count, max_allowed);
    }
    let (agree, max_lsb) = agreement(what, theirs, ours, count);
    eprintln!("{what}: this CPU has no VNNI (onnxruntime's int8 dot products may saturate): top-1 agreement {agree:.4}, max {max_lsb} LSB");
    assert!(agree >= 0.98, "{what}: top-1 agreement {agree}");
    (agree, max_lsb)
}
