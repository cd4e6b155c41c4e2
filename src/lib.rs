#![warn(missing_docs)]
//! wgpu-qat: quantization-aware training of convolutional networks on any GPU through wgpu,
//! export to a packed int8 model, and a bit-exact CPU int8 reference interpreter.
//!
//! Layout (docs/ARCHITECTURE.md draws the data path): `gpu` (device, shader machinery, pipelines,
//! buffers), `ops` (one file per op, each declaring its kernels as typed handles; `ops::shaders` lists them), `layers` (one
//! file per layer kind), `model` (specs, shapes, spec files), `train` (recorded steps, loop,
//! evaluation), `quant` (the quantization rules and their placement), `export` (trained state to
//! int8 model; the model and file format live in `qat_int8`), `reference` (CPU twins and the
//! int8 interpreter), `data` (IDX/MNIST), `output` (checked, atomic output files), `verify`
//! (int8 against fake quant), `bench` (the benchmark harness behind `qat bench`).
//!
//! Train mnist-cnn on 6,000 MNIST images (a float epoch, then a QAT epoch), export the int8
//! model, write it, and run one image through the integer-only interpreter:
//!
//! ```no_run
//! use wgpu_qat::data::mnist;
//! use wgpu_qat::quantize::{export::TrainedState, quantize};
//! use wgpu_qat::gpu::{AdapterChoice, Gpu};
//! use wgpu_qat::model::spec::ModelSpec;
//! use wgpu_qat::train::trainer::{train, TrainConfig};
//!
//! # fn main() -> wgpu_qat::Result<()> {
//! let gpu = Gpu::new(&AdapterChoice::default())?; // any adapter; lavapipe on a CPU works
//! let data = mnist::load(&mnist::locate(None)?)?; // $QAT_DATA, ../shared/data/mnist, ...
//! let cfg = TrainConfig { train_limit: Some(6000), ..TrainConfig::default() };
//! let (net, report) = train(&gpu, &ModelSpec::mnist_cnn(), &data, &cfg)?;
//! println!("float test accuracy {:.4}", report.float_test_acc);
//!
//! let model = quantize(&TrainedState::read(&gpu, &net, 8)?)?;
//! qat_int8::format::write(&model, std::path::Path::new("mnist-cnn.qat"))?;
//! let logits: Vec<i8> = qat_int8::interpreter::run_image(&model, &data.test.images[..784])?;
//! println!("int8 logits of the first test image: {logits:?}");
//! # Ok(())
//! # }
//! ```

pub mod bench;
pub mod data;
mod error;
pub mod gpu;
pub mod import;
pub mod int8_gpu;
pub mod layer_kinds;
pub mod layers;
pub mod model;
pub mod ops;
pub mod quantize;
pub mod train;
pub mod verify;

pub use error::{QatError, Result};
/// The GPU-free half: int8 model, file format, quantization rules, shape math, interpreter.
pub use qat_int8;
