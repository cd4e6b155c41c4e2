//! `qat export`: an int8 model file as a `.tflite` that LiteRT runs or an `.onnx` that
//! onnxruntime runs (no GPU).

use qat_int8::export::onnx::{to_onnx, Layout, OnnxOptions};
use qat_int8::export::tflite::{to_tflite, TfliteOptions};
use qat_int8::format;
use qat_int8::model::QuantModel;
use qat_int8::output::{Inputs, OutputPath};
use std::path::PathBuf;
use wgpu_qat::{QatError, Result};

/// Formats `qat export` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// TFLite FlatBuffer for LiteRT: float32 input, int8 inside, int8 logits.
    Tflite,
    /// ONNX (opset 13) in QDQ form for onnxruntime: float32 NHWC (or NCHW) input, int8 logits.
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
    /// The layout of the float input: nhwc ([batch, H, W, C], both formats) or nchw ([batch, C,
    /// H, W], ONNX only: what a PyTorch pipeline already has).
    #[arg(long, value_enum, default_value = "nhwc")]
    layout: InputLayout,
}

/// Why a `.tflite` is not written with an NCHW input.
const TFLITE_NCHW: &str =
    "--layout nchw: the .tflite takes NHWC input, as LiteRT's convolutions do; export --format onnx for an NCHW input";

/// The layouts of the exported model's float input.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputLayout {
    /// [batch, H, W, C].
    Nhwc,
    /// [batch, C, H, W] (ONNX only).
    Nchw,
}

/// Writes `model` in `format` to an output checked beforehand (atomically); returns the bytes.
pub fn write(
    model: &QuantModel,
    format: Format,
    float_output: bool,
    layout: InputLayout,
    target: &OutputPath,
) -> Result<usize> {
    let bytes = match (format, layout) {
        (Format::Tflite, InputLayout::Nhwc) => to_tflite(model, TfliteOptions { float_output }),
        (Format::Tflite, InputLayout::Nchw) => return Err(QatError::Invalid(TFLITE_NCHW.into())),
        (Format::Onnx, InputLayout::Nhwc) => to_onnx(model, OnnxOptions { float_output, layout: Layout::Nhwc }),
        (Format::Onnx, InputLayout::Nchw) => to_onnx(model, OnnxOptions { float_output, layout: Layout::Nchw }),
    }
    .map_err(|e| format::invalid_export(&target.path, e))?;
    target.write(&bytes)?;
    Ok(bytes.len())
}

pub fn run(a: ExportArgs) -> Result<()> {
    let out = a.out.clone().unwrap_or_else(|| a.model.with_extension(a.format.extension()));
    let target = OutputPath::check(&out)?;
    if a.format == Format::Tflite && a.layout == InputLayout::Nchw {
        return Err(QatError::Invalid(TFLITE_NCHW.into()));
    }
    let mut inputs = Inputs::new();
    inputs.add("--model", &a.model);
    inputs.refuse("--out", &target)?;
    let model = format::read(&a.model)?;
    let n = write(&model, a.format, a.float_output, a.layout, &target)?;
    println!("wrote {} ({n} bytes, {})", out.display(), a.format.name());
    Ok(())
}
