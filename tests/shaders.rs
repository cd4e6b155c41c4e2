//! GPU-free: every shader under shaders/ is registered, parses and validates with naga, and its
//! uniform struct has the size of the Rust struct that fills it.

use wgpu_qat::gpu::shaders::{uniform_size, validate, SHADERS, SNIPPETS};
use wgpu_qat::ops::uniform_sizes;

fn wgsl_files(dir: &std::path::Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            wgsl_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "wgsl") {
            out.push(p.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn every_shader_validates_with_naga() {
    for (name, src) in SHADERS.iter().chain(SNIPPETS) {
        validate(name, src).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn every_wgsl_file_is_registered_once() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut files = Vec::new();
    wgsl_files(&root, &mut files);
    let mut names: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(&format!("{}/", root.display())).unwrap().trim_end_matches(".wgsl").to_string())
        .collect();
    names.sort();
    let mut registered: Vec<String> = SHADERS.iter().chain(SNIPPETS).map(|(n, _)| n.to_string()).collect();
    registered.sort();
    assert_eq!(names, registered);
}

#[test]
fn uniform_structs_match_wgsl_sizes() {
    let sizes = uniform_sizes();
    assert_eq!(sizes.len(), SHADERS.len(), "every shader needs a uniform size entry");
    for (name, rust_size) in sizes {
        let src = wgpu_qat::gpu::shaders::source(name).unwrap();
        let module = validate(name, src).unwrap();
        let wgsl = uniform_size(&module).unwrap_or_else(|| panic!("{name}: no uniform at binding 0"));
        assert_eq!(wgsl as usize, rust_size, "{name}: WGSL uniform is {wgsl} bytes, Rust struct {rust_size}");
    }
}

#[test]
fn a_broken_shader_is_reported_with_its_name() {
    let err = validate("broken/example", "fn main( {").unwrap_err().to_string();
    assert!(err.contains("broken/example"), "{err}");
}
