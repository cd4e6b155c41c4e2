//! The shader registry: every `.wgsl` file under `shaders/`, compiled into the binary by name.
//! Pipelines are created from these names only (see `gpu::pipelines`), and a GPU-free test
//! validates each of them with naga.

macro_rules! wgsl {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $name, ".wgsl"))
    };
}

/// `shader!("a/b", "x/s1", "y/s2")`: shaders/common/workgroup.wgsl (the workgroup size every
/// kernel uses), then the snippets shaders/x/s1.wgsl, shaders/y/s2.wgsl in order, then
/// shaders/a/b.wgsl (WGSL has no includes; this is ours).
macro_rules! shader {
    ($name:literal $(, $snippet:literal)*) => {
        ($name, concat!(wgsl!("common/workgroup"), "\n", $(wgsl!($snippet), "\n",)* wgsl!($name)))
    };
}

/// Files under `shaders/` that are not shaders of their own but are prepended to others.
pub const SNIPPETS: &[(&str, &str)] = &[
    ("common/workgroup", wgsl!("common/workgroup")),
    ("fake_quant/nudge", wgsl!("fake_quant/nudge")),
    ("common/channel_of", wgsl!("common/channel_of")),
    ("common/conv_params", wgsl!("common/conv_params")),
];

/// (name, WGSL source). The name is the path under `shaders/` without `.wgsl`.
pub const SHADERS: &[(&str, &str)] = &[
    shader!("conv2d/forward", "common/conv_params"),
    shader!("conv2d/backward_input", "common/conv_params"),
    shader!("conv2d/backward_weight", "common/conv_params"),
    shader!("matmul/strided"),
    shader!("matmul/row_major_b_vec4"),
    shader!("reduce/column_sum"),
    shader!("relu/forward"),
    shader!("relu/backward"),
    shader!("max_pool/forward"),
    shader!("max_pool/backward"),
    shader!("loss/softmax_cross_entropy"),
    shader!("loss/accumulate"),
    shader!("fake_quant/forward", "fake_quant/nudge"),
    shader!("fake_quant/backward", "fake_quant/nudge"),
    shader!("observer/activation_range"),
    shader!("observer/weight_range"),
    shader!("adam/update"),
    shader!("gather/batch"),
    shader!("depthwise/forward", "common/conv_params"),
    shader!("depthwise/backward_input", "common/conv_params"),
    shader!("depthwise/backward_weight", "common/conv_params"),
    shader!("avg_pool/forward"),
    shader!("avg_pool/backward"),
    shader!("global_avg_pool/forward"),
    shader!("global_avg_pool/backward"),
    shader!("elementwise/add"),
    shader!("elementwise/channel_scale", "common/channel_of"),
    shader!("concat/forward"),
    shader!("concat/backward"),
    shader!("batch_norm/statistics"),
    shader!("batch_norm/forward", "common/channel_of"),
    shader!("batch_norm/backward_affine"),
    shader!("batch_norm/backward_input", "common/channel_of"),
    shader!("batch_norm/update_moving"),
    shader!("batch_norm/fold_scale"),
];

/// The WGSL source of a registered shader.
pub fn source(name: &str) -> Option<&'static str> {
    SHADERS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
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
