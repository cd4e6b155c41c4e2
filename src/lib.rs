#![warn(missing_docs)]
//! wgpu-qat: quantization-aware training of convolutional networks on any GPU through wgpu,
//! export to a packed int8 model, and a bit-exact CPU int8 reference interpreter.
//!
//! Modules, from the bottom up (docs/ARCHITECTURE.md gives their ranks; imports run one way):
//! `model` (what a model is: specs, each layer kind's description in `model::kinds`, shapes,
//! parameters, placement, spec files; GPU-free), `data` (the data set readers; GPU-free), `gpu`
//! (device, buffers, kernel handles, pipelines), `ops` (one file per op: its kernels, launchers
//! and CPU twin), `int8_gpu` (the int8 model on the GPU), `train` (the network's GPU state, the
//! recording context, recorded plans, the training loop, checkpoints, evaluation, PTQ),
//! `layers` (how each kind trains and exports), `quantize` (trained state to int8 model and
//! back, and `quantize::verify`: int8 against fake quant), `import` (ONNX); `train::bench` is
//! `qat bench`. The
//! int8 model, its file, the quantization rules, the interpreter and the exporters are the
//! GPU-free crate `qat_int8`.
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

pub use error::{QatError, Result};
