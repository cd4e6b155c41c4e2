//! CPU references with no GPU involved: `f32` gathers the plain-loop twin of every WGSL kernel
//! (each in its op's file, `ops::<op>::twin`; used to test the kernels); `int8` is the integer-only interpreter of exported models, which lives
//! in the GPU-free `qat_int8::interpreter`.

pub mod f32;
pub use qat_int8::interpreter as int8;
