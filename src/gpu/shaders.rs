//! The shader registry: every `.wgsl` file under `shaders/`, compiled into the binary by name,
//! with the buffers each one binds as the Rust side declares them. Pipelines are created from
//! these names only (see `gpu::pipelines`), `Dispatch::new` refuses a launch that passes another
//! number of buffers, and a GPU-free test validates every shader with naga and compares its
//! bindings (group, binding, address space and access) with this table.

macro_rules! wgsl {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $name, ".wgsl"))
    };
}

/// `shader!("a/b", [R, W], "x/s1", "y/s2")`: the shader shaders/a/b.wgsl binding a read-only and
/// a read-write storage buffer after its parameters; its source is shaders/common/workgroup.wgsl
/// (the workgroup size every kernel uses), then the snippets shaders/x/s1.wgsl, shaders/y/s2.wgsl
/// in order, then shaders/a/b.wgsl (WGSL has no includes; this is ours).
macro_rules! shader {
    ($name:literal, [$($access:ident),*] $(, $snippet:literal)*) => {
        Shader {
            name: $name,
            source: concat!(wgsl!("common/workgroup"), "\n", $(wgsl!($snippet), "\n",)* wgsl!($name)),
            buffers: &[$(Access::$access),*],
        }
    };
}

/// How a shader binds one buffer (all in group 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `var<uniform>` (the per-step uniform of the kernels that read it).
    U,
    /// `var<storage, read>`.
    R,
    /// `var<storage, read_write>`.
    W,
}

/// A registered shader.
#[derive(Debug)]
pub struct Shader {
    /// The path under `shaders/` without `.wgsl`, e.g. `conv2d/forward`.
    pub name: &'static str,
    /// The WGSL the pipeline is built from: the workgroup snippet, the shader's other snippets,
    /// then its own file.
    pub source: &'static str,
    /// The buffers at bindings 1, 2, ... in order (binding 0 is always the uniform parameter
    /// struct): what `Dispatch::new` must be given.
    pub buffers: &'static [Access],
}

/// Files under `shaders/` that are not shaders of their own but are prepended to others.
pub const SNIPPETS: &[(&str, &str)] = &[
    ("common/workgroup", wgsl!("common/workgroup")),
    ("fake_quant/nudge", wgsl!("fake_quant/nudge")),
    ("common/channel_of", wgsl!("common/channel_of")),
    ("common/conv_params", wgsl!("common/conv_params")),
];

/// Every shader, by name.
pub const SHADERS: &[Shader] = &[
    shader!("conv2d/forward", [R, R, R, W], "common/conv_params"),
    shader!("conv2d/backward_input", [R, R, W], "common/conv_params"),
    shader!("conv2d/backward_weight", [R, R, W], "common/conv_params"),
    shader!("matmul/strided", [R, R, R, W]),
    shader!("matmul/row_major_b_vec4", [R, R, R, W]),
    shader!("reduce/column_sum", [R, W]),
    shader!("relu/forward", [R, W]),
    shader!("relu/backward", [R, R, W]),
    shader!("max_pool/forward", [R, W, W]),
    shader!("max_pool/backward", [R, R, W]),
    shader!("loss/softmax_cross_entropy", [R, R, W, W]),
    shader!("loss/accumulate", [U, R, W]),
    shader!("fake_quant/forward", [R, R, W], "fake_quant/nudge"),
    shader!("fake_quant/backward", [R, R, R, W], "fake_quant/nudge"),
    shader!("observer/activation_range", [R, W]),
    shader!("observer/weight_range", [R, W]),
    shader!("adam/update", [U, R, W, W, W, W]),
    shader!("gather/batch", [U, R, R, R, W, W]),
    shader!("depthwise/forward", [R, R, R, W], "common/conv_params"),
    shader!("depthwise/backward_input", [R, R, W], "common/conv_params"),
    shader!("depthwise/backward_weight", [R, R, W], "common/conv_params"),
    shader!("avg_pool/forward", [R, W]),
    shader!("avg_pool/backward", [R, W]),
    shader!("global_avg_pool/forward", [R, W]),
    shader!("global_avg_pool/backward", [R, W]),
    shader!("elementwise/add", [R, R, W]),
    shader!("elementwise/channel_scale", [R, R, W], "common/channel_of"),
    shader!("concat/forward", [R, W]),
    shader!("concat/backward", [R, W]),
    shader!("batch_norm/statistics", [R, W]),
    shader!("batch_norm/forward", [R, R, R, W], "common/channel_of"),
    shader!("batch_norm/backward_affine", [R, R, R, W]),
    shader!("batch_norm/backward_input", [R, R, R, R, R, W], "common/channel_of"),
    shader!("batch_norm/update_moving", [R, W]),
    shader!("batch_norm/fold_scale", [R, R, W, W]),
];

/// A registered shader by name.
pub fn shader(name: &str) -> Option<&'static Shader> {
    SHADERS.iter().find(|s| s.name == name)
}

/// The WGSL source of a registered shader.
pub fn source(name: &str) -> Option<&'static str> {
    shader(name).map(|s| s.source)
}

/// Parses and validates one WGSL source with naga (no GPU needed).
pub fn validate(name: &str, source: &str) -> crate::Result<naga::Module> {
    let module = naga::front::wgsl::parse_str(source)
        .map_err(|e| crate::QatError::Shader { name: name.into(), detail: e.emit_to_string(source) })?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
        .validate(&module)
        .map_err(|e| crate::QatError::Shader { name: name.into(), detail: e.emit_to_string(source) })?;
    Ok(module)
}

/// What naga reflects of a module's resource bindings, sorted: `(group, binding, access)` for
/// every global variable with a binding. An error names a binding of a kind we do not use.
pub fn reflect_bindings(module: &naga::Module) -> Result<Vec<(u32, u32, Access)>, String> {
    let mut out = Vec::new();
    for (_, var) in module.global_variables.iter() {
        let Some(b) = &var.binding else { continue };
        let access = match var.space {
            naga::AddressSpace::Uniform => Access::U,
            naga::AddressSpace::Storage { access } if access == naga::StorageAccess::LOAD => Access::R,
            naga::AddressSpace::Storage { access }
                if access == naga::StorageAccess::LOAD | naga::StorageAccess::STORE =>
            {
                Access::W
            }
            other => return Err(format!("binding {}: {other:?} is not a space we bind", b.binding)),
        };
        out.push((b.group, b.binding, access));
    }
    out.sort_by_key(|&(g, b, _)| (g, b));
    Ok(out)
}

impl Shader {
    /// The bindings the Rust side declares, in the form `reflect_bindings` returns: the
    /// parameter uniform at (0, 0), then `buffers` at (0, 1), (0, 2), ...
    pub fn declared_bindings(&self) -> Vec<(u32, u32, Access)> {
        std::iter::once((0, 0, Access::U))
            .chain(self.buffers.iter().enumerate().map(|(i, &a)| (0, 1 + i as u32, a)))
            .collect()
    }
}
