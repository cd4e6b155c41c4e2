//! Writes int8/src/export/onnx_proto.rs: prost's Rust types for the vendored onnx.proto.
use std::path::PathBuf;

fn main() {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let vendor = here.parent().expect("vendor/onnx").to_path_buf();
    let out = tempdir();
    let files = protox::compile([vendor.join("onnx.proto")], [&vendor]).expect("onnx.proto compiles");
    prost_build::Config::new().out_dir(&out).compile_fds(files).expect("prost generates Rust");
    let target = vendor.join("../../src/export/onnx_proto.rs");
    std::fs::copy(out.join("onnx.rs"), &target).expect("copy onnx.rs");
    println!("wrote {}", target.display());
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("qat-onnx-gen-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
