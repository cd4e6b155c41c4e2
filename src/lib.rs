//! wgpu-qat: quantization-aware training of convolutional networks on any GPU through wgpu,
//! export to a packed int8 model, and a bit-exact CPU int8 reference interpreter.
//!
//! Layout: `gpu` (device, shader registry, pipelines, buffers), `ops` (one file per kernel
//! family), `model` (specs, shapes), `train` (recorded steps, loop, evaluation), `quant`
//! (the quantization rules), `export` (int8 model and file format), `reference` (CPU twins and
//! the int8 interpreter), `data` (IDX/MNIST), `output` (checked, atomic output files), `bench` (the benchmark harness behind `qat bench`).

pub mod bench;
pub mod data;
pub mod error;
pub mod export;
pub mod gpu;
pub mod layers;
pub mod model;
pub mod ops;
pub use qat_int8::output;
pub mod quant;
pub mod reference;
pub mod train;
pub mod verify;

pub use error::{QatError, Result};
/// The GPU-free half: int8 model, file format, quantization rules, shape math, interpreter.
pub use qat_int8;
