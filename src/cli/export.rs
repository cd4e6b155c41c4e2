//! `qat export`: an int8 model file as a `.tflite` that LiteRT runs or an `.onnx` that
//! onnxruntime runs (no GPU).

use qat_int8::export::onnx::{to_onnx, OnnxOptions};
use qat_int8::export::tflite::{to_tflite, TfliteOptions};
use qat_int8::format;
use qat_int8::model::QuantModel;
use qat_int8::output::{Inputs, OutputPath};
use std::path::PathBuf;
use wgpu_qat::Result;

/// Formats `qat export` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// TFLite FlatBuffer for LiteRT: float32 input, int8 inside, int8 logits.
    Tflite,
    /// ONNX (opset 13) in QDQ form for onnxruntime: float32 NHWC input, int8 logits.
    Onnx,
}

impl Format {
    /// The format as the user knows it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Tflite => "TFLite",
            Format::Onnx => "ONNX",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Tflite => "tflite",
            Format::Onnx => "onnx",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The int8 model file written by `qat train`.
    #[arg(long)]
    model: PathBuf,
    #[arg(long, value_enum, default_value = "tflite")]
    format: Format,
    /// Where to write; default: the model file with the format's extension.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output float32 logits (a DEQUANTIZE after the int8 logits) instead of int8.
    #[arg(long)]
    float_output: bool,
}

/// Writes `model` in `format` to an output checked beforehand (atomically); returns the bytes.
pub fn write(model: &QuantModel, format: Format, float_output: bool, target: &OutputPath) -> Result<usize> {
    let bytes = match format {
        Format::Tflite => to_tflite(model, TfliteOptions { float_output }),
        Format::Onnx => to_onnx(model, OnnxOptions { float_output }),
    }
    .map_err(|e| format::invalid_export(&target.path, e))?;
    target.write(&bytes)?;
    Ok(bytes.len())
}

pub fn run(a: ExportArgs) -> Result<()> {
    let out = a.out.clone().unwrap_or_else(|| a.model.with_extension(a.format.extension()));
    let target = OutputPath::check(&out)?;
    let mut inputs = Inputs::new();
    inputs.add("--model", &a.model);
    inputs.refuse("--out", &target)?;
    let model = format::read(&a.model)?;
    let n = write(&model, a.format, a.float_output, &target)?;
    println!("wrote {} ({n} bytes, {})", out.display(), a.format.name());
    Ok(())
}
