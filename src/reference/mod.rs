//! CPU references with no GPU involved: `f32` holds a plain-loop twin of every WGSL kernel (used
//! to test the kernels), `int8` is the integer-only interpreter of exported models.

pub mod f32;
pub mod int8;
