//! `qat import`: an ONNX float model (PyTorch's or tf2onnx's export) as a spec file and its
//! float weights (.safetensors beside it), which `qat train --model SPEC --init WEIGHTS` reads.

use qat_int8::output::{Inputs, OutputPath};
use std::path::PathBuf;
use wgpu_qat::import::onnx;
use wgpu_qat::model::{file, float_weights};
use wgpu_qat::{QatError, Result};

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The ONNX model.
    model: PathBuf,
    /// The spec file to write (.toml); the weights go beside it as .safetensors
    /// [default: the ONNX file's name with .toml].
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(a: ImportArgs) -> Result<()> {
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
    let imported = onnx::read(&a.model)?;
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
    Ok(())
}
