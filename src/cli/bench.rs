//! `qat bench`: see `wgpu_qat::bench`.

use wgpu_qat::bench::{run_all, BenchConfig};
use wgpu_qat::gpu::Gpu;
use wgpu_qat::Result;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Model to time (built-in name or spec file).
    #[arg(long, default_value = "mnist-cnn")]
    model: String,
    /// Print JSON (the only output format; the flag is accepted for scripts).
    #[arg(long)]
    json: bool,
    /// Timed training steps per batch size.
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// Also time each kernel of the QAT step (submit + wait per dispatch, so it includes
    /// per-submit overhead).
    #[arg(long)]
    profile: bool,
    /// Square matmul size for the ceiling.
    #[arg(long, default_value_t = 512)]
    matmul: u32,
}

pub fn run(a: BenchArgs, gpu: &Gpu) -> Result<()> {
    let _ = a.json;
    if a.steps == 0 {
        return Err(wgpu_qat::QatError::Invalid("--steps must be at least 1".into()));
    }
    if !(16..=4096).contains(&a.matmul) {
        return Err(wgpu_qat::QatError::Invalid(format!("--matmul {} must be between 16 and 4096", a.matmul)));
    }
    let report = run_all(
        gpu,
        &BenchConfig {
            model: wgpu_qat::model::file::resolve(&a.model)?,
            steps: a.steps,
            profile: a.profile,
            matmul_size: a.matmul,
            batches: vec![32, 128],
        },
    )?;
    super::print_json(&report);
    Ok(())
}
