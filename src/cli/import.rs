//! `qat import`: an ONNX float model (PyTorch's or tf2onnx's export) as a spec file and its
//! float weights (.safetensors beside it), which `qat train --model SPEC --init WEIGHTS` reads;
//! with `--images`, the imported float model's logits on those images, to compare with the
//! framework's (`--logits`).

use qat_int8::output::{Inputs, OutputPath};
use std::path::PathBuf;
use wgpu_qat::gpu::Gpu;
use wgpu_qat::import::onnx;
use wgpu_qat::model::{file, float_weights};
use wgpu_qat::ops::gather::GpuDataset;
use wgpu_qat::train::network::{Network, WeightQuant};
use wgpu_qat::{QatError, Result};

/// Most bytes `--images` may hold.
const MAX_IMAGE_BYTES: u64 = 1 << 30;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The ONNX model.
    model: PathBuf,
    /// The spec file to write (.toml); the weights go beside it as .safetensors
    /// [default: the ONNX file's name with .toml].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Raw u8 images, NHWC at the model's input size, back to back (fed as pixel / 255, as the
    /// ONNX model takes them): with `--logits`, run the imported float model on them.
    #[arg(long, requires = "logits")]
    images: Option<PathBuf>,
    /// Where the imported float model's logits on `--images` go: raw little-endian float32,
    /// image after image (compare with onnxruntime's, docs/USAGE.md).
    #[arg(long, requires = "images")]
    logits: Option<PathBuf>,
}

pub fn run(a: ImportArgs, gpu: &dyn Fn() -> Result<Gpu>) -> Result<()> {
    let spec_path = a.out.clone().unwrap_or_else(|| a.model.with_extension("toml"));
    if spec_path.extension().and_then(|e| e.to_str()) != Some("toml") {
        return Err(QatError::Invalid(format!("--out {}: the spec file is written as .toml", spec_path.display())));
    }
    let weights_path = spec_path.with_extension("safetensors");
    let (spec_out, weights_out) = (OutputPath::check(&spec_path)?, OutputPath::check(&weights_path)?);
    let mut inputs = Inputs::new();
    inputs.add("the ONNX model", &a.model);
    inputs.refuse("--out", &spec_out)?;
    inputs.refuse("--out (its .safetensors weights)", &weights_out)?;
    let logits_out = match &a.logits {
        Some(path) => {
            let out = OutputPath::check(path)?;
            inputs.add("--images", a.images.as_deref().unwrap_or(path));
            inputs.refuse("--logits", &out)?;
            Some(out)
        }
        None => None,
    };
    let imported = onnx::read(&a.model)?;
    let images = match &a.images {
        Some(path) => {
            let bytes = qat_int8::input::read_bounded(path, MAX_IMAGE_BYTES, "raw u8 images")?;
            let pixels = imported.spec.input.iter().map(|&d| d as usize).product::<usize>();
            if bytes.is_empty() || bytes.len() % pixels != 0 {
                return Err(QatError::Invalid(format!(
                    "--images {}: {} bytes is not a whole number of {:?} images ({pixels} bytes each)",
                    path.display(),
                    bytes.len(),
                    imported.spec.input
                )));
            }
            Some(bytes)
        }
        None => None,
    };
    let text = file::to_toml(&imported.spec);
    // What we write must read back as the same model.
    let back = file::from_toml(&text)
        .map_err(|e| QatError::Invalid(format!("the spec written for {}: {e}", a.model.display())))?;
    if back.nodes != imported.spec.nodes || back.input != imported.spec.input {
        return Err(QatError::Invalid(format!(
            "the spec written for {} does not read back as the imported graph",
            a.model.display()
        )));
    }
    weights_out.write(&float_weights::to_bytes(&imported.spec, &imported.params)?)?;
    spec_out.write(format!("# Imported from {} by `qat import`.\n{text}", a.model.display()).as_bytes())?;
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    println!(
        "wrote {} ({} layers, input {:?}) and {} ({} parameters)",
        spec_path.display(),
        imported.spec.nodes.len(),
        imported.spec.input,
        weights_path.display(),
        imported
            .params
            .iter()
            .map(|p| p.weight.len() + p.bias.len() + p.bn.as_ref().map_or(0, |b| 4 * b.gamma.len()))
            .sum::<usize>()
    );
    if let (Some(images), Some(out)) = (images, logits_out) {
        let gpu = gpu()?;
        let net = Network::with_params(&gpu, &imported.spec, &imported.params, WeightQuant::PerChannel)?;
        let count = images.len() / imported.spec.input.iter().map(|&d| d as usize).product::<usize>();
        let labels = vec![0u8; count];
        let data = GpuDataset::upload(&gpu, &images, &labels, imported.spec.input, &net.input_norm);
        let result = wgpu_qat::train::eval::evaluate(&gpu, &net, &data, &labels, false, 32, 8)?;
        out.write(&result.logits.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>())?;
        println!(
            "wrote {} ({count} images x {} float32 logits of the imported float model)",
            a.logits.as_ref().map_or(String::new(), |p| p.display().to_string()),
            result.classes
        );
    }
    Ok(())
}
