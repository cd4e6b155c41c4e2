//! Uniform structs as a shader sees them. Every `#[repr(C)]` parameter struct lists its fields
//! with `uniform_fields!` (name, byte offset and scalar type of each, arrays element by element),
//! and a GPU-free test (tests/shaders.rs) compares that list with naga's reflection of the
//! WGSL struct each shader binds, so a field renamed, reordered or retyped on either side fails.
//! Padding fields (names starting with `_`) are compared by offset and type only.

/// The 32-bit scalar types our uniforms use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// WGSL `u32`.
    U32,
    /// WGSL `i32`.
    I32,
    /// WGSL `f32`.
    F32,
}

/// One scalar of a uniform struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name (`name[i]` for element i of an array).
    pub name: String,
    /// Byte offset in the struct.
    pub offset: u32,
    /// Its scalar type.
    pub scalar: Scalar,
}

/// A Rust type as the scalars WGSL sees in its place.
pub trait WgslScalars {
    /// The scalars, in order.
    fn scalars() -> Vec<Scalar>;
}

impl WgslScalars for u32 {
    fn scalars() -> Vec<Scalar> {
        vec![Scalar::U32]
    }
}

impl WgslScalars for i32 {
    fn scalars() -> Vec<Scalar> {
        vec![Scalar::I32]
    }
}

impl WgslScalars for f32 {
    fn scalars() -> Vec<Scalar> {
        vec![Scalar::F32]
    }
}

impl<T: WgslScalars, const N: usize> WgslScalars for [T; N] {
    fn scalars() -> Vec<Scalar> {
        (0..N).flat_map(|_| T::scalars()).collect()
    }
}

/// A uniform struct's fields, in memory order.
pub trait Uniform {
    /// The fields, in memory order.
    fn fields() -> Vec<Field>;
}

/// The scalars of field `name` at `offset`, typed by the accessor (so the list cannot disagree
/// with the struct's own field types).
pub fn expand<S, T: WgslScalars>(name: &str, offset: usize, _field: fn(&S) -> &T) -> Vec<Field> {
    let scalars = T::scalars();
    let many = scalars.len() > 1;
    scalars
        .into_iter()
        .enumerate()
        .map(|(i, scalar)| Field {
            name: if many { format!("{name}[{i}]") } else { name.to_string() },
            offset: (offset + 4 * i) as u32,
            scalar,
        })
        .collect()
}

/// `uniform_fields!(Type: a, b, c)` implements `Uniform` for `Type` with its fields a, b, c in
/// order; a test checks that they cover the whole struct.
#[macro_export]
macro_rules! uniform_fields {
    ($ty:ty: $($field:ident),+ $(,)?) => {
        impl $crate::gpu::uniform::Uniform for $ty {
            fn fields() -> Vec<$crate::gpu::uniform::Field> {
                let mut out = Vec::new();
                $( out.extend($crate::gpu::uniform::expand(stringify!($field), core::mem::offset_of!($ty, $field), |s: &$ty| &s.$field)); )+
                out
            }
        }
    };
}

/// What naga reflects of the uniform struct at `@group(0) @binding(binding)`, scalar by scalar;
/// None when the shader binds no uniform there. An error names a member of a type we do not use.
pub fn reflect(module: &naga::Module, binding: u32) -> Option<Result<Vec<Field>, String>> {
    let (_, var) = module.global_variables.iter().find(|(_, v)| {
        v.space == naga::AddressSpace::Uniform
            && v.binding.as_ref().is_some_and(|b| b.group == 0 && b.binding == binding)
    })?;
    let naga::TypeInner::Struct { members, .. } = &module.types[var.ty].inner else {
        return Some(Err("the uniform is not a struct".into()));
    };
    let scalar = |ty: naga::Handle<naga::Type>| -> Result<Scalar, String> {
        match module.types[ty].inner {
            naga::TypeInner::Scalar(naga::Scalar { kind: naga::ScalarKind::Uint, width: 4 }) => Ok(Scalar::U32),
            naga::TypeInner::Scalar(naga::Scalar { kind: naga::ScalarKind::Sint, width: 4 }) => Ok(Scalar::I32),
            naga::TypeInner::Scalar(naga::Scalar { kind: naga::ScalarKind::Float, width: 4 }) => Ok(Scalar::F32),
            ref other => Err(format!("{other:?} is not a 32-bit scalar")),
        }
    };
    let mut out = Vec::new();
    for m in members {
        let name = m.name.clone().unwrap_or_default();
        match module.types[m.ty].inner {
            naga::TypeInner::Array { base, size: naga::ArraySize::Constant(n), stride } => {
                for i in 0..n.get() {
                    match scalar(base) {
                        Ok(s) => {
                            out.push(Field { name: format!("{name}[{i}]"), offset: m.offset + i * stride, scalar: s })
                        }
                        Err(e) => return Some(Err(format!("{name}: {e}"))),
                    }
                }
            }
            _ => match scalar(m.ty) {
                Ok(s) => out.push(Field { name, offset: m.offset, scalar: s }),
                Err(e) => return Some(Err(format!("{name}: {e}"))),
            },
        }
    }
    Some(Ok(out))
}

/// Compares the Rust fields with the WGSL ones; the error lists every difference.
pub fn compare(rust: &[Field], wgsl: &[Field]) -> Result<(), String> {
    let mut problems = Vec::new();
    if rust.len() != wgsl.len() {
        problems.push(format!("Rust has {} scalars, WGSL {}", rust.len(), wgsl.len()));
    }
    for (r, w) in rust.iter().zip(wgsl) {
        let both_padding = r.name.starts_with('_') && w.name.starts_with('_');
        if r.offset != w.offset || r.scalar != w.scalar || (!both_padding && r.name != w.name) {
            problems.push(format!(
                "Rust {} {:?} at {} vs WGSL {} {:?} at {}",
                r.name, r.scalar, r.offset, w.name, w.scalar, w.offset
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
