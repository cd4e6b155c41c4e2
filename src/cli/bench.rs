//! `qat bench`: see `wgpu_qat::bench`.

use wgpu_qat::gpu::Gpu;
use wgpu_qat::train::bench::{run_all, BenchConfig};
use wgpu_qat::Result;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Models to time (built-in names or spec files), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "mnist-cnn,mnist-dwbn,mnist-resnet")]
    model: Vec<String>,
    /// Batch sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "32,128,256")]
    batch: Vec<u32>,
    /// Print JSON (the only output format; the flag is accepted for scripts).
    #[arg(long)]
    json: bool,
    /// Timed training steps per configuration (after 3 warm-up steps).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Also time each kernel of each model's QAT step at the largest batch (each dispatch
    /// submitted and waited for alone, so it includes per-submit overhead).
    #[arg(long)]
    profile: bool,
}

pub fn run(a: BenchArgs, gpu: &Gpu) -> Result<()> {
    let _ = a.json;
    if a.steps == 0 {
        return Err(wgpu_qat::QatError::Invalid("--steps must be at least 1".into()));
    }
    if let Some(b) = a.batch.iter().find(|&&b| b == 0 || b > 4096) {
        return Err(wgpu_qat::QatError::Invalid(format!("--batch {b} must be between 1 and 4096")));
    }
    let models = a.model.iter().map(|m| wgpu_qat::model::file::resolve(m)).collect::<Result<Vec<_>>>()?;
    let report = run_all(gpu, &BenchConfig { models, steps: a.steps, profile: a.profile, batches: a.batch })?;
    super::print_json(&report);
    Ok(())
}
