//! `qat predict`: the classes and scores an int8 model gives the user's own images (PNG or
//! JPEG), on the CPU int8 interpreter (no GPU) or, with `--device gpu`, the GPU int8 kernels
//! (the same bytes).

use qat_int8::format;
use std::path::PathBuf;
use wgpu_qat::data::image::{self, Fit};
use wgpu_qat::{QatError, Result};

#[derive(clap::Args, Debug)]
pub struct PredictArgs {
    /// The int8 model file written by `qat train`.
    #[arg(long)]
    model: PathBuf,
    /// Images (PNG or JPEG), or folders whose images are read in name order (not recursively).
    /// Each is converted to the model's channels and resized to its input.
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Classes to print per image, best first.
    #[arg(long, default_value_t = 1)]
    top_k: usize,
    /// Invert the pixels (255 - v) first: MNIST models expect light digits on a dark background.
    #[arg(long)]
    invert: bool,
    /// Print JSON: per image its path, the top classes with scores, and the int8 logits.
    #[arg(long)]
    json: bool,
    /// Where the int8 model runs: the CPU interpreter, or the GPU int8 kernels.
    #[arg(long, value_enum, default_value = "cpu")]
    device: super::eval::Device,
}

/// The image files `inputs` name: files as given, folders' images in name order.
fn image_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|source| QatError::Io { path: p.clone(), source })?;
            let mut found = Vec::new();
            for f in entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|f| image::is_image(f)) {
                match std::fs::metadata(&f) {
                    Ok(m) if m.is_file() => found.push(f),
                    Ok(m) if m.is_dir() => {}
                    _ => eprintln!("warning: {}: skipped, not a regular file", f.display()),
                }
            }
            if found.is_empty() {
                return Err(QatError::BadData {
                    path: p.clone(),
                    detail: format!("a folder with no images (.{} files)", image::EXTENSIONS.join(", .")),
                });
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Softmax of the dequantized logits.
fn scores(logits: &[i8], quant: qat_int8::quant::params::TensorQuant) -> Vec<f64> {
    let real: Vec<f64> = logits.iter().map(|&q| quant.scale as f64 * (q as i32 - quant.zero_point) as f64).collect();
    let max = real.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = real.iter().map(|v| (v - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

/// Class indices by score, best first (ties: the lower class first).
fn ranked(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

pub fn run(a: PredictArgs, open_gpu: &dyn Fn() -> Result<wgpu_qat::gpu::Gpu>) -> Result<()> {
    if a.top_k == 0 {
        return Err(QatError::Invalid("--top-k must be at least 1".into()));
    }
    let model = format::read(&a.model)?;
    let files = image_files(&a.images)?;
    let quant = model.logits_quant();
    let fit = Fit { invert: a.invert };
    // Every image is read (and any bad one named) before the model runs.
    let mut pixels = Vec::new();
    for f in &files {
        pixels.extend(image::load(f, model.input_shape, fit)?);
    }
    let all = match a.device {
        super::eval::Device::Cpu => qat_int8::interpreter::run_batch(&model, &pixels, files.len())?,
        super::eval::Device::Gpu => {
            let gpu = open_gpu()?;
            wgpu_qat::int8_gpu::model::GpuInt8Model::upload(&gpu, &model)?.run(&gpu, &pixels, files.len(), 256)?
        }
    };
    let classes = all.len() / files.len().max(1);
    let mut results = Vec::new();
    for (f, logits) in files.iter().zip(all.chunks(classes.max(1))) {
        let logits = logits.to_vec();
        let s = scores(&logits, quant);
        let top: Vec<usize> = ranked(&s).into_iter().take(a.top_k).collect();
        if a.json {
            results.push(serde_json::json!({
                "image": f.display().to_string(),
                "top": top.iter().map(|&c| serde_json::json!({ "class": c, "score": s[c] })).collect::<Vec<_>>(),
                "logits": logits,
            }));
        } else {
            let shown: Vec<String> = top.iter().map(|&c| format!("{c} ({:.3})", s[c])).collect();
            println!("{}: {}", f.display(), shown.join(", "));
        }
    }
    if a.json {
        super::print_json(&serde_json::json!({ "model": a.model.display().to_string(), "predictions": results }));
    }
    Ok(())
}
