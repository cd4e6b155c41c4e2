//! Kernels as typed handles: every `.wgsl` file under `shaders/` is compiled into the binary as a
//! `Kernel<P>` that an op declares (`kernel!`, in the op's own file), with the parameter struct
//! `P` it binds at 0 and the buffers it binds after, as the Rust side declares them. A launch
//! takes the handle (`Dispatch::new(gpu, &conv2d::FORWARD, &params, ..)`), so the parameters'
//! type must be the kernel's, and refuses another number of buffers; the registries of every
//! kernel (`ops::shaders`, `int8_gpu::shaders`) are built from the ops' declarations, and a
//! GPU-free test validates each with naga and compares its bindings and uniform struct with the
//! declaration.

#[macro_export]
#[doc(hidden)]
macro_rules! wgsl {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $name, ".wgsl"))
    };
}

/// `kernel!(..)`: a `Kernel<Params>` of `shader!(..)`'s arguments (the handle an op declares as
/// a `static` and launches).
#[macro_export]
#[doc(hidden)]
macro_rules! kernel {
    ($name:literal from $file:literal, $params:ty, $($rest:tt)*) => {
        $crate::gpu::shaders::Kernel::<$params>::new($crate::shader!($name from $file, $params, $($rest)*))
    };
    ($name:literal, $params:ty, $($rest:tt)*) => {
        $crate::gpu::shaders::Kernel::<$params>::new($crate::shader!($name, $params, $($rest)*))
    };
}

/// `shader!("a/b", Params, [R, W], "x/s1", "y/s2")`: the shader shaders/a/b.wgsl binding its
/// parameters `Params` (a `gpu::uniform::Uniform`) at 0, then a read-only and a read-write
/// storage buffer; its source is shaders/common/workgroup.wgsl
/// (the workgroup size every kernel uses), then the snippets shaders/x/s1.wgsl, shaders/y/s2.wgsl
/// in order, then shaders/a/b.wgsl (WGSL has no includes; this is ours). A trailing
/// `; specialized ["KH", "KW"]` names the override constants the kernel is specialized on
/// (`gpu::Specialization`), which every launch must set.
#[macro_export]
#[doc(hidden)]
macro_rules! shader {
    // A variant: registered under `name`, compiled from `file` with its own snippets.
    ($name:literal from $file:literal, $params:ty, [$($access:ident),*] $(, $snippet:literal)* $(; specialized [$($o:literal),*])?) => {
        $crate::gpu::shaders::Shader {
            name: $name,
            source: concat!(
                $crate::wgsl!("common/workgroup"), "\n", $($crate::wgsl!($snippet), "\n",)* $crate::wgsl!($file)
            ),
            params: $crate::gpu::shaders::UniformLayout::of::<$params>,
            buffers: &[$($crate::gpu::shaders::Access::$access),*],
            overrides: &[$($($o),*)?],
        }
    };
    ($name:literal, $params:ty, [$($access:ident),*] $(, $snippet:literal)* $(; specialized [$($o:literal),*])?) => {
        $crate::gpu::shaders::Shader {
            name: $name,
            source: concat!(
                $crate::wgsl!("common/workgroup"), "\n", $($crate::wgsl!($snippet), "\n",)* $crate::wgsl!($name)
            ),
            params: $crate::gpu::shaders::UniformLayout::of::<$params>,
            buffers: &[$($crate::gpu::shaders::Access::$access),*],
            overrides: &[$($($o),*)?],
        }
    };
}

/// The Rust side of a uniform struct: its fields (`gpu::uniform`) and its size.
pub struct UniformLayout {
    /// Name, offset and scalar type of every field, in memory order.
    pub fields: Vec<crate::gpu::uniform::Field>,
    /// `size_of` the struct.
    pub size: usize,
}

impl UniformLayout {
    /// The layout of `T`.
    pub fn of<T: crate::gpu::uniform::Uniform>() -> UniformLayout {
        UniformLayout { fields: T::fields(), size: std::mem::size_of::<T>() }
    }
}

/// How a shader binds one buffer (all in group 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `var<uniform>`: the per-step uniform `ops::adam::StepUniform` of the kernels that read it.
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
    /// The Rust struct bound at binding 0 (its parameters).
    pub params: fn() -> UniformLayout,
    /// The buffers at bindings 1, 2, ... in order (binding 0 is always the uniform parameter
    /// struct): what `Dispatch::new` must be given.
    pub buffers: &'static [Access],
    /// The override constants without a default in the WGSL, which the launch sets per layer
    /// (`gpu::Specialization`); a test compares them with naga's reflection.
    pub overrides: &'static [&'static str],
}

/// Files under `shaders/` that are not shaders of their own but are prepended to others.
pub const SNIPPETS: &[(&str, &str)] = &[
    ("common/workgroup", wgsl!("common/workgroup")),
    ("fake_quant/nudge", wgsl!("fake_quant/nudge")),
    ("common/channel_of", wgsl!("common/channel_of")),
    ("common/conv_params", wgsl!("common/conv_params")),
    ("int8/requantize", wgsl!("int8/requantize")),
    ("int8/requantize_native", wgsl!("int8/requantize_native")),
    ("int8/dot4_unpacked", wgsl!("int8/dot4_unpacked")),
    ("int8/dot4_builtin", wgsl!("int8/dot4_builtin")),
    ("int8/packed", wgsl!("int8/packed")),
    ("int8/window_params", wgsl!("int8/window_params")),
];

/// A kernel whose parameters are a `P`: its shader, typed. Ops declare these as `static`s
/// (`kernel!`); `Dispatch::new` takes one.
pub struct Kernel<P> {
    /// The shader and what it binds.
    pub shader: Shader,
    params: std::marker::PhantomData<fn(P)>,
}

impl<P> Kernel<P> {
    /// The handle of `shader`, whose parameters are a `P`.
    pub const fn new(shader: Shader) -> Kernel<P> {
        Kernel { shader, params: std::marker::PhantomData }
    }
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

/// The names of a module's override constants that have no default (those a pipeline must be
/// given), in declaration order.
pub fn reflect_required_overrides(module: &naga::Module) -> Vec<String> {
    module.overrides.iter().filter(|(_, o)| o.init.is_none()).filter_map(|(_, o)| o.name.clone()).collect()
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
