//! `qat calibrate`: post-training quantization of a trained float model (ONNX, or a spec and
//! its .safetensors weights): activation ranges from N calibration images, the same placement
//! and per-channel weights as QAT, batch norm folded with its moving statistics; writes the
//! int8 model and reports its CPU int8 test accuracy beside the float model's.

use super::data::{load, DataArgs};
use super::train::{starting_model, WeightsArg};
use qat_int8::format;
use qat_int8::output::{Inputs, OutputPath};
use std::path::PathBuf;
use wgpu_qat::gpu::Gpu;
use wgpu_qat::ops::gather::GpuDataset;
use wgpu_qat::quantize::verify::{compare, int8_logits};
use wgpu_qat::quantize::{export::TrainedState, quantize};
use wgpu_qat::train::calibrate::calibrate;
use wgpu_qat::train::eval::evaluate;
use wgpu_qat::train::network::Network;
use wgpu_qat::train::network::WeightQuant;
use wgpu_qat::train::trainer::test_split;
use wgpu_qat::{QatError, Result};

#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// The trained float model: an ONNX file, or a .safetensors file of --model's parameters.
    #[arg(long)]
    init: PathBuf,
    /// The model the .safetensors parameters belong to (built-in name or spec file).
    #[arg(long)]
    model: Option<String>,
    #[command(flatten)]
    data: DataArgs,
    /// Calibration images: the first N training images.
    #[arg(long, default_value_t = 1000)]
    images: usize,
    /// Conv and depthwise weights quantized per output channel or per tensor.
    #[arg(long, value_enum, default_value = "per-channel")]
    weights: WeightsArg,
    /// Where to write the int8 model.
    #[arg(long)]
    out: PathBuf,
    /// Evaluate on the first N test images only.
    #[arg(long)]
    test_limit: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: CalibrateArgs, open_gpu: &dyn Fn() -> Result<Gpu>) -> Result<()> {
    if a.images == 0 || a.test_limit == Some(0) {
        return Err(QatError::Invalid("--images and --test-limit must be at least 1".into()));
    }
    let weight_quant = WeightQuant::from(a.weights);
    let out = OutputPath::check(&a.out)?;
    let mut inputs = Inputs::new();
    inputs.add("--init", &a.init);
    if let Some(m) = &a.model {
        inputs.add("--model", std::path::Path::new(m));
    }
    inputs.refuse("--out", &out)?;
    let (spec, params) = starting_model(a.model.as_deref(), Some(&a.init))?;
    let params = params.ok_or_else(|| QatError::Invalid("--init gave no parameters".into()))?;
    let data = load(&a.data, spec.input)?;
    inputs.add_all("the data set", &data.files);
    inputs.refuse("--out", &out)?;
    data.check_fits(&spec)?;
    wgpu_qat::train::preflight::check_int8_budget(&spec)?;
    data.check_classes(spec.classes()? as usize, &format!("--init {}", a.init.display()), true)?;
    let gpu = &open_gpu()?;
    let mut net = Network::with_params(gpu, &spec, &params, weight_quant)?;
    net.input_norm = data.norm.clone();
    let calib = data.train.slice(0, a.images.min(data.train.count), data.pixels());
    let calib_ds = GpuDataset::upload(gpu, &calib.images, &calib.labels, data.shape, &data.norm);
    calibrate(gpu, &net, &calib_ds, calib.count, 256)?;
    let model = quantize(&TrainedState::read(gpu, &net, 8)?)?;
    let bytes = format::to_bytes(&model).map_err(|e| format::invalid_export(&a.out, e))?;
    out.write(&bytes)?;

    let test = test_split(&data, a.test_limit);
    let test_ds = GpuDataset::upload(gpu, &test.images, &test.labels, data.shape, &data.norm);
    let float = evaluate(gpu, &net, &test_ds, &test.labels, false, 500, 8)?;
    let fq = evaluate(gpu, &net, &test_ds, &test.labels, true, 500, 8)?;
    let agree = compare(&fq.logits, &int8_logits(&model, &test)?, fq.classes, model.logits_quant(), &test.labels);
    let report = serde_json::json!({
        "model": spec.name,
        "calibration_images": calib.count,
        "test_images": test.count,
        "weights": weight_quant,
        "float_test_acc": float.accuracy,
        "fake_quant_test_acc": agree.fake_quant_acc,
        "int8_test_acc": agree.int8_acc,
        "top1_agreement": agree.top1_agreement,
        "model_file": a.out.display().to_string(),
        "model_bytes": bytes.len(),
    });
    if a.json {
        super::print_json(&report);
    } else {
        println!("float test accuracy (GPU, float):       {:.4}", float.accuracy);
        println!("PTQ int8 test accuracy (CPU):           {:.4} ({} calibration images)", agree.int8_acc, calib.count);
        println!("top-1 agreement fake quant vs int8:     {:.4}", agree.top1_agreement);
        println!("wrote {} ({} bytes)", a.out.display(), bytes.len());
    }
    Ok(())
}
