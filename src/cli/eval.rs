//! `qat eval`: test accuracy of an int8 model file on the CPU int8 interpreter (no GPU), or with
//! `--device gpu` on the GPU int8 kernels (`int8_gpu`), which give the same bytes.

use super::data::{check_input, load, DataArgs};
use qat_int8::format;
use qat_int8::output::{Inputs, OutputPath};
use std::path::PathBuf;
use std::time::Instant;
use wgpu_qat::quantize::verify::int8_logits;
use wgpu_qat::train::{eval::accuracy, trainer::test_split};
use wgpu_qat::{QatError, Result};

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// The int8 model file written by `qat train`.
    #[arg(long)]
    model: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Only the first N test images.
    #[arg(long)]
    limit: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also write the int8 logits here, raw: one signed byte per class, image after image.
    #[arg(long)]
    logits: Option<PathBuf>,
    /// Where the int8 model runs: the CPU interpreter, or the GPU int8 kernels.
    #[arg(long, value_enum, default_value = "cpu")]
    device: Device,
}

/// `--device`: the CPU int8 interpreter or the GPU int8 kernels.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Cpu,
    Gpu,
}

pub fn run(a: EvalArgs, open_gpu: &dyn Fn() -> Result<wgpu_qat::gpu::Gpu>) -> Result<()> {
    if a.limit == Some(0) {
        return Err(QatError::Invalid("--limit must be at least 1".into()));
    }
    let logits_out = a.logits.as_deref().map(OutputPath::check).transpose()?;
    let mut inputs = Inputs::new();
    inputs.add("--model", &a.model);
    let refuse = |inputs: &Inputs| logits_out.as_ref().map_or(Ok(()), |o| inputs.refuse("--logits", o));
    refuse(&inputs)?;
    let model = format::read(&a.model)?;
    let data = load(&a.data, model.input_shape)?;
    inputs.add_all("the data set", &data.files);
    refuse(&inputs)?;
    check_input(&a.model, model.input_shape, model.classes(), &data)?;
    let test = test_split(&data, a.limit);
    let (logits, secs, where_) = match a.device {
        Device::Cpu => {
            let t0 = Instant::now();
            let logits = int8_logits(&model, &test)?;
            (logits, t0.elapsed().as_secs_f64(), "CPU".to_string())
        }
        Device::Gpu => {
            let gpu = open_gpu()?;
            let g = wgpu_qat::int8_gpu::model::GpuInt8Model::upload(&gpu, &model)?;
            let t0 = Instant::now();
            let logits = g.run(&gpu, &test.images, test.count, 256)?;
            (logits, t0.elapsed().as_secs_f64(), format!("GPU int8 kernels on {}", gpu.describe()))
        }
    };
    let classes = logits.len() / test.count.max(1);
    let acc = accuracy(&logits, classes.max(1), &test.labels);
    if let Some(out) = &logits_out {
        out.write(&logits.iter().map(|&v| v as u8).collect::<Vec<u8>>())?;
    }
    if a.json {
        super::print_json(&serde_json::json!({
            "model": a.model.display().to_string(),
            "images": test.count,
            "int8_test_acc": acc,
            "device": format!("{:?}", a.device).to_lowercase(),
            "images_per_sec": test.count as f64 / secs.max(1e-9),
        }));
    } else {
        println!(
            "int8 test accuracy ({where_}, integer only): {acc:.4} on {} images ({:.0} images/s)",
            test.count,
            test.count as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}
