//! GPU-free: every shader under shaders/ is registered, parses and validates with naga, its
//! uniform structs match the Rust structs that fill them, field by field (name, offset, type),
//! and its bindings (group, binding, uniform / read / read-write) match the registry's.

use wgpu_qat::gpu::shaders::{reflect_bindings, reflect_required_overrides, validate, Access, UniformLayout, SNIPPETS};
use wgpu_qat::gpu::uniform::{compare, reflect};
use wgpu_qat::ops::adam::StepUniform;

/// Every kernel: the training ops' and the int8 model's.
fn shaders() -> Vec<&'static wgpu_qat::gpu::shaders::Shader> {
    [wgpu_qat::ops::shaders(), wgpu_qat::int8_gpu::shaders()].concat()
}

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
    for (name, src) in shaders().iter().map(|s| (&s.name, &s.source)).chain(SNIPPETS.iter().map(|(n, s)| (n, s))) {
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
    // The benchmark yardstick lives in benches/ (frozen) but is registered like any kernel.
    names.push("yardstick/matmul".into());
    names.sort();
    // A variant (`name#variant`) is its file compiled with other snippets: every variant's
    // file is registered under its plain name too.
    let (variants, plain): (Vec<&str>, Vec<&str>) = shaders().iter().map(|s| s.name).partition(|n| n.contains('#'));
    for v in &variants {
        let file = v.split('#').next().unwrap_or_default();
        assert!(plain.contains(&file), "variant {v} of an unregistered file");
    }
    let mut registered: Vec<String> =
        plain.into_iter().chain(SNIPPETS.iter().map(|(n, _)| *n)).map(String::from).collect();
    registered.sort();
    assert_eq!(names, registered);
}

#[test]
fn uniform_structs_match_the_wgsl_field_by_field() {
    for shader in shaders() {
        let name = shader.name;
        let module = validate(name, shader.source).unwrap();
        // Binding 0 is the shader's parameters; a U buffer is the per-step uniform.
        let mut uniforms = vec![(0, (shader.params)())];
        for (i, a) in shader.buffers.iter().enumerate() {
            if *a == Access::U {
                uniforms.push((1 + i as u32, UniformLayout::of::<StepUniform>()));
            }
        }
        for (binding, rust) in uniforms {
            let wgsl = reflect(&module, binding)
                .unwrap_or_else(|| panic!("{name}: no uniform at binding {binding}"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // The listed fields cover the struct: none left out of `uniform_fields!`.
            assert_eq!(rust.fields.len() * 4, rust.size, "{name}: binding {binding}: uniform_fields! misses a field");
            compare(&rust.fields, &wgsl).unwrap_or_else(|e| panic!("{name}: binding {binding}: {e}"));
        }
    }
}

#[test]
fn specialization_constants_match_the_registry() {
    for shader in shaders() {
        let module = validate(shader.name, shader.source).unwrap();
        let wgsl = reflect_required_overrides(&module);
        assert_eq!(wgsl, shader.overrides, "{}: the override constants without a default", shader.name);
    }
}

#[test]
fn a_renamed_reordered_or_retyped_field_is_caught() {
    let src = wgpu_qat::ops::adam::UPDATE.shader.source;
    let rust = <wgpu_qat::ops::adam::AdamParams as wgpu_qat::gpu::uniform::Uniform>::fields();
    let ok = reflect(&validate("adam/update", src).unwrap(), 0).unwrap().unwrap();
    compare(&rust, &ok).unwrap();
    for (change, broken) in [
        // Each edit keeps a valid shader, so only the interface check can catch it.
        ("renamed", src.replace("beta1", "beta_one")),
        ("reordered", src.replacen("beta1: f32, beta2: f32", "beta2: f32, beta1: f32", 1)),
        ("retyped", src.replacen("eps: f32", "eps: u32", 1).replace("p.eps", "bitcast<f32>(p.eps)")),
    ] {
        assert_ne!(broken, src, "{change}: the edit must apply");
        let module = validate("adam/update", &broken).unwrap_or_else(|e| panic!("{change}: {e}"));
        let wgsl = reflect(&module, 0).unwrap().unwrap();
        assert!(compare(&rust, &wgsl).is_err(), "{change} field not caught");
    }
}

#[test]
fn bindings_match_the_registry() {
    for shader in shaders() {
        let module = validate(shader.name, shader.source).unwrap();
        let wgsl = reflect_bindings(&module).unwrap_or_else(|e| panic!("{}: {e}", shader.name));
        assert_eq!(wgsl, shader.declared_bindings(), "{}: WGSL bindings vs the registry", shader.name);
    }
}

#[test]
fn a_changed_binding_is_caught() {
    let shader = &wgpu_qat::ops::relu::BACKWARD.shader;
    let ok = reflect_bindings(&validate(shader.name, shader.source).unwrap()).unwrap();
    assert_eq!(ok, shader.declared_bindings());
    let src = shader.source;
    for (change, broken) in [
        // Each edit keeps a valid shader, so only the interface check can catch it.
        ("access", src.replacen("var<storage, read> dy", "var<storage, read_write> dy", 1)),
        ("binding", src.replacen("@binding(3)", "@binding(4)", 1)),
        ("group", src.replacen("@group(0) @binding(3)", "@group(1) @binding(3)", 1)),
    ] {
        assert_ne!(broken, src, "{change}: the edit must apply");
        let module = validate("relu/backward", &broken).unwrap_or_else(|e| panic!("{change}: {e}"));
        assert_ne!(reflect_bindings(&module).unwrap(), shader.declared_bindings(), "{change} not caught");
    }
    assert_eq!(shader.buffers, [Access::R, Access::R, Access::W]);
}

#[test]
fn a_broken_shader_is_reported_with_its_name() {
    let err = validate("broken/example", "fn main( {").unwrap_err().to_string();
    assert!(err.contains("broken/example"), "{err}");
}

#[test]
fn every_kernel_uses_the_one_workgroup_size() {
    let src = SNIPPETS.iter().find(|(n, _)| *n == "common/workgroup").unwrap().1;
    let module = validate("common/workgroup", src).unwrap();
    let (_, wg) = module.constants.iter().find(|(_, c)| c.name.as_deref() == Some("WG")).expect("const WG");
    let naga::Expression::Literal(naga::Literal::U32(value)) = module.global_expressions[wg.init] else {
        panic!("WG is not a u32 literal")
    };
    assert_eq!(
        value,
        wgpu_qat::gpu::dispatch::WORKGROUP_SIZE,
        "shaders/common/workgroup.wgsl and gpu::WORKGROUP_SIZE disagree"
    );
    assert!(value.is_power_of_two(), "reductions halve the workgroup");
    for shader in shaders() {
        let name = &shader.name;
        let module = validate(name, shader.source).unwrap();
        for ep in &module.entry_points {
            // The exceptions: the activation observer reduces a whole tensor in one workgroup
            // of 256, and the frozen yardstick keeps its own 64.
            let want = match *name {
                "observer/activation_range" => [256, 1, 1],
                "yardstick/matmul" => [64, 1, 1],
                _ => [value, 1, 1],
            };
            assert_eq!(ep.workgroup_size, want, "{name}");
        }
    }
}

/// Every kernel the int8 model launches, for each arithmetic and dot-product path, is
/// registered, and the two arithmetics' kernels differ where the kernel requantizes (and the two
/// dot-product paths where it has dot products).
#[test]
fn every_int8_kernel_variant_is_registered() {
    use wgpu_qat::int8_gpu::arithmetic::{Arithmetic, Variants};
    use wgpu_qat::int8_gpu::{add, conv2d, depthwise_conv2d, fully_connected, mean, requantize};
    let registered = |name: &str| shaders().iter().any(|s| s.name == name);
    fn names<P>(v: &Variants<P>) -> Vec<&'static str> {
        let mut n = Vec::new();
        for a in [Arithmetic::Words, Arithmetic::Native] {
            for dot4 in [false, true] {
                n.push(a.pick(v, dot4).shader.name);
            }
        }
        n.sort();
        n.dedup();
        n
    }
    for (what, n, distinct) in [
        ("conv2d", names(&conv2d::CONV2D_VARIANTS), 4),
        ("fully_connected", names(&fully_connected::FULLY_CONNECTED_VARIANTS), 4),
        ("depthwise", names(&depthwise_conv2d::DEPTHWISE_VARIANTS), 2),
        ("mean", names(&mean::MEAN_VARIANTS), 2),
        ("add", names(&add::ADD_VARIANTS), 2),
        ("requantize_each", names(&requantize::REQUANTIZE_EACH_VARIANTS), 2),
    ] {
        assert_eq!(n.len(), distinct, "{what}: {n:?}");
        assert!(n.iter().all(|name| registered(name) && name.contains(what)), "{what}: {n:?}");
    }
}
