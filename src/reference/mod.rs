//! CPU references with no GPU involved: `f32` holds a plain-loop twin of every WGSL kernel (used
//! to test the kernels); `int8` is the integer-only interpreter of exported models, which lives
//! in the GPU-free `qat_int8::interpreter`.

pub mod f32;
pub use qat_int8::interpreter as int8;
