#![warn(missing_docs)]
//! qat-int8: everything about an int8 model that needs no GPU, so a server, an embedded build or
//! a wasm page can read, validate and run what wgpu-qat trains without compiling wgpu.
//!
//! - `shape`: padding and output-size math, shared by training, the file reader and the kernels;
//! - `limits`: the documented size limits of models and the interpreter's budget;
//! - `work`: what one image costs the interpreter, op by op, and the work budget;
//! - `worst_case`: crafted models that spend a whole budget on one op kind;
//! - `quant`: the quantization rules, each in one place (fixed-point multiplier, rounding,
//!   clamps, ADD and MEAN rescales, fake-quant nudging);
//! - `ops`: the int8 ops, one file each with all of the op: its fields, shape rule and work,
//!   checks, interpreter kernel, `.qat` bytes and `.tflite` and ONNX lowering (`QLayer`);
//! - `tensor`: the int8 tensor of one image the kernels read and write;
//! - `model`: the int8 model (`QuantModel`), a DAG of TFLite-style int8 ops;
//! - `validate`: the one validation every model passes before it is written or run;
//! - `format`: the versioned, checksummed `.qat` file (docs/FORMAT.md);
//! - `interpreter`: the integer-only CPU interpreter, in the manner of TFLite's reference kernels;
//! - `export`: the model as `.tflite` for LiteRT and as ONNX for onnxruntime;
//! - `input`: bounded reads of regular input files;
//! - `output`: checked, atomic output files.
//!
//! Nothing here knows that training exists: the training side hands a finished `QuantModel` in.
//!
//! Read a model file, run an image through the integer-only interpreter and write the model for
//! LiteRT:
//!
//! ```no_run
//! use std::path::Path;
//!
//! # fn main() -> qat_int8::Result<()> {
//! let model = qat_int8::format::read(Path::new("mnist-cnn.qat"))?; // checked and validated
//! let image = vec![0u8; 28 * 28]; // u8 pixels, NHWC
//! let logits = qat_int8::interpreter::run_image(&model, &image)?;
//! println!("class {}", (0..logits.len()).max_by_key(|&i| logits[i]).unwrap_or(0));
//! let options = qat_int8::export::tflite::TfliteOptions::default(); // int8 logits out
//! let tflite = qat_int8::export::tflite::to_tflite(&model, options).expect("a read model is valid");
//! std::fs::write("mnist-cnn.tflite", tflite).expect("writable");
//! # Ok(())
//! # }
//! ```

mod checks;
pub mod error;
pub mod export;
pub mod format;
pub mod input;
pub mod interpreter;
pub mod limits;
pub mod model;
pub mod ops;
pub mod output;
mod payload;
pub mod quant;
pub mod shape;
pub mod tensor;
pub mod validate;
pub mod work;
pub mod worst_case;

pub use error::{Int8Error, Result};
