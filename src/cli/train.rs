//! `qat train`: checks the arguments and outputs (`parse`), trains float then QAT epochs,
//! writes the int8 model and its exports (`export`), evaluates it on the CPU against the GPU
//! fake-quant forward (`evaluate`), and reports (stdout, and the typed metrics JSON).

use super::data::{load, DataArgs};
use super::export::Format;
use qat_int8::format;
use qat_int8::model::InputNorm;
use qat_int8::model::QuantModel;
use qat_int8::output::{Inputs, OutputPath};
use qat_int8::Int8Error;
use std::path::PathBuf;
use std::time::Instant;
use wgpu_qat::data::dataset::Dataset;
use wgpu_qat::gpu::Gpu;
use wgpu_qat::model::file::resolve;
use wgpu_qat::model::float_weights;
use wgpu_qat::model::params::HostParams;
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::ops::adam::AdamConfig;
use wgpu_qat::ops::gather::Augment;
use wgpu_qat::quantize::verify::{compare, int8_logits};
use wgpu_qat::quantize::{export::TrainedState, quantize};
use wgpu_qat::train::checkpoint;
use wgpu_qat::train::network::WeightQuant;
use wgpu_qat::train::schedule::LrSchedule;
use wgpu_qat::train::trainer::{train_from, CheckpointPlan, Continuity};
use wgpu_qat::train::{report::TrainReport, trainer::test_split, trainer::TrainConfig};
use wgpu_qat::{QatError, Result};

/// Names the flag in an output path's error.
fn flag(name: &str, e: Int8Error) -> QatError {
    match e {
        Int8Error::Output { path, detail } => {
            Int8Error::Output { path, detail: format!("{detail} (given as {name})") }.into()
        }
        other => other.into(),
    }
}

/// `--lr-schedule`, spelled as the library's `LrSchedule` serializes.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ScheduleArg {
    Constant,
    Cosine,
}

impl From<ScheduleArg> for LrSchedule {
    fn from(a: ScheduleArg) -> Self {
        match a {
            ScheduleArg::Constant => LrSchedule::Constant,
            ScheduleArg::Cosine => LrSchedule::Cosine,
        }
    }
}

/// `--augment`: the random changes made to training images.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum AugmentArg {
    /// Shift by up to 4 pixels each way, zeros coming in (a random crop of the zero-padded image).
    Crop,
    /// Mirror left-right with probability 1/2.
    Flip,
}

/// `--weights`, spelled as the library's `WeightQuant` serializes.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum WeightsArg {
    PerChannel,
    PerTensor,
}

impl From<WeightsArg> for WeightQuant {
    fn from(a: WeightsArg) -> Self {
        match a {
            WeightsArg::PerChannel => WeightQuant::PerChannel,
            WeightsArg::PerTensor => WeightQuant::PerTensor,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// A built-in model (mnist-cnn, mnist-dwbn, mnist-resnet, cifar-resnet8) or a model spec
    /// file (.toml or .json, see docs/MODELS.md) [default: mnist-cnn; with --init FILE.onnx,
    /// the ONNX file's graph].
    #[arg(long)]
    model: Option<String>,
    #[command(flatten)]
    data: DataArgs,
    /// Float training epochs.
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    /// QAT fine-tuning epochs after the float ones (at least 1 to export).
    #[arg(long, default_value_t = 1)]
    qat_epochs: usize,
    #[arg(long, default_value_t = 32)]
    batch: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Adam learning rate (peak rate for cosine) [default: 5e-3 for cosine, 1e-3 for constant].
    #[arg(long)]
    lr: Option<f32>,
    /// Learning-rate schedule over all epochs: cosine (one optimizer, decays to 0) or
    /// constant (TFMOT's recipe: fixed rate, fresh optimizer for QAT).
    #[arg(long, value_enum, default_value = "cosine")]
    lr_schedule: ScheduleArg,
    /// Conv and depthwise weights quantized per output channel or per tensor.
    #[arg(long, value_enum, default_value = "per-channel")]
    weights: WeightsArg,
    /// Bit width of weights and activations during QAT (the int8 export needs 8).
    #[arg(long, default_value_t = 8)]
    bits: u32,
    /// Freeze batch norm (use and keep its moving statistics) after this many QAT steps.
    #[arg(long)]
    bn_freeze: Option<usize>,
    /// Feed pixels as (p / 255 - mean) / std per channel, with the training images' per-channel mean
    /// and standard deviation. Stored in the model file, so the deployed model takes the same
    /// float input.
    #[arg(long, conflicts_with = "mean")]
    normalize: bool,
    /// Per-channel means of p / 255 to subtract (comma-separated, one per input channel; with --std).
    #[arg(long, value_delimiter = ',', requires = "std")]
    mean: Vec<f32>,
    /// Per-channel standard deviations to divide by (with --mean).
    #[arg(long, value_delimiter = ',', requires = "mean")]
    std: Vec<f32>,
    /// Random changes to training images (comma-separated): crop (shift by up to 4 pixels,
    /// zero-padded), flip (mirror left-right). Done on the GPU as batches are gathered.
    #[arg(long, value_enum, value_delimiter = ',')]
    augment: Vec<AugmentArg>,
    /// Where to write the int8 model.
    #[arg(long, default_value = "model.qat")]
    out: PathBuf,
    /// Also write the metrics as JSON here.
    #[arg(long)]
    metrics: Option<PathBuf>,
    /// Also export the int8 model in these formats beside --out (e.g. `--export tflite`).
    #[arg(long, value_enum, value_delimiter = ',')]
    export: Vec<Format>,
    /// Start from a trained float model instead of random weights: an ONNX file exported by
    /// PyTorch or tf2onnx (its graph becomes the model), or a .safetensors file of the --model's
    /// parameters (written by --save-float or `qat import`).
    #[arg(long)]
    init: Option<PathBuf>,
    /// Write checkpoints into this folder (created if missing): at the end of each epoch, and
    /// every --checkpoint-every steps. `--resume DIR` goes on from the last one.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Also write a checkpoint every this many steps (with --checkpoint or --resume).
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Go on from the checkpoint in this folder (and keep checkpointing there unless
    /// --checkpoint says elsewhere). Give the same settings as the run that wrote it: the run
    /// then ends with the same model file, byte for byte, as if it had never stopped.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Also write the final float weights (safetensors; --init reads them).
    #[arg(long)]
    save_float: Option<PathBuf>,
    /// Train on the first N training images only (the last 10% of them validate).
    #[arg(long)]
    train_limit: Option<usize>,
    /// Evaluate on the first N test images only.
    #[arg(long)]
    test_limit: Option<usize>,
    /// No progress bar or per-epoch lines.
    #[arg(long)]
    quiet: bool,
}

/// Checked arguments and outputs, ready to train.
struct Plan {
    lr: f32,
    save_float: Option<OutputPath>,
    out: OutputPath,
    metrics: Option<OutputPath>,
    exports: Vec<(Format, OutputPath)>,
}

impl Plan {
    /// Every output with the flag that names it.
    fn outputs(&self) -> Vec<(&'static str, &OutputPath)> {
        let mut v = vec![("--out", &self.out)];
        v.extend(self.metrics.iter().map(|m| ("--metrics", m)));
        v.extend(self.save_float.iter().map(|m| ("--save-float", m)));
        v.extend(self.exports.iter().map(|(_, p)| ("--export", p)));
        v
    }

    /// Refuses any output that is one of `inputs`, and a `--checkpoint` folder whose checkpoint
    /// file is an input other than the checkpoint resumed (which a resumed run replaces as it
    /// goes on, by design).
    fn refuse_inputs(&self, a: &TrainArgs, inputs: &Inputs) -> Result<()> {
        for (flag, out) in self.outputs() {
            inputs.refuse(flag, out)?;
        }
        let Some(dir) = &a.checkpoint else { return Ok(()) };
        let mut others = inputs.clone();
        if let Some(r) = &a.resume {
            others.remove(&r.join(checkpoint::FILE));
        }
        others.refuse_path("--checkpoint", &dir.join(checkpoint::FILE))?;
        Ok(())
    }
}

/// The files `qat train` reads besides the data: the spec file, --init, the checkpoint resumed.
fn file_inputs(a: &TrainArgs) -> Inputs {
    let mut inputs = Inputs::new();
    if let Some(m) = &a.model {
        inputs.add("--model", std::path::Path::new(m));
    }
    if let Some(i) = &a.init {
        inputs.add("--init", i);
    }
    if let Some(r) = &a.resume {
        inputs.add("--resume", &r.join(checkpoint::FILE));
    }
    inputs
}

/// `qat train`: parse, train, export, report.
pub fn run(a: TrainArgs, open_gpu: &dyn Fn() -> Result<Gpu>) -> Result<()> {
    let started = Instant::now();
    let plan = parse(&a)?;
    let mut inputs = file_inputs(&a);
    plan.refuse_inputs(&a, &inputs)?;
    let (spec, init) = starting_model(a.model.as_deref(), a.init.as_deref())?;
    let mut data = load(&a.data, spec.input)?;
    inputs.add_all("the data set", &data.files);
    plan.refuse_inputs(&a, &inputs)?;
    data.check_fits(&spec)?;
    if let (Some(path), Some(_)) = (&a.init, &init) {
        data.check_classes(spec.classes()? as usize, &format!("--init {}", path.display()), true)?;
    }
    if a.normalize {
        data.norm = data.channel_statistics();
    } else if !a.mean.is_empty() {
        data.norm = explicit_norm(&a.mean, &a.std, spec.input[2])?;
    }
    let gpu = &open_gpu()?;
    if !a.quiet {
        eprintln!("adapter: {}", gpu.describe());
    }
    let cfg = TrainConfig {
        epochs: a.epochs,
        qat_epochs: a.qat_epochs,
        batch: a.batch,
        seed: a.seed,
        adam: AdamConfig { lr: plan.lr, ..AdamConfig::default() },
        schedule: a.lr_schedule.into(),
        weight_quant: a.weights.into(),
        bits: a.bits,
        bn_freeze: a.bn_freeze,
        train_limit: a.train_limit,
        test_limit: a.test_limit,
        progress: !a.quiet,
        augment: Augment {
            crop_pad: if a.augment.contains(&AugmentArg::Crop) { Augment::CROP_PAD } else { 0 },
            flip: a.augment.contains(&AugmentArg::Flip),
            seed: a.seed as u32 ^ 0x5eed_a060,
        },
        ..TrainConfig::default()
    };
    let resume = a.resume.as_deref().map(checkpoint::load).transpose()?;
    let checkpoints =
        a.checkpoint.clone().or(a.resume.clone()).map(|dir| CheckpointPlan { dir, every: a.checkpoint_every });
    if let Some(c) = &checkpoints {
        std::fs::create_dir_all(&c.dir).map_err(|e| QatError::io(&c.dir, e))?;
    }
    let from = Continuity { init: init.as_deref(), checkpoint: checkpoints.as_ref(), resume: resume.as_ref() };
    let (net, report) = train_from(gpu, &spec, &data, &cfg, from)?;
    if let Some(out) = &plan.save_float {
        out.write(&float_weights::to_bytes(&spec, &net.read_params(gpu)?)?)?;
    }
    let model = quantize(&TrainedState::read(gpu, &net, cfg.bits)?)?;
    let model_bytes = export(&a, &plan, &model)?;
    let metrics = evaluate(&a, &plan, &cfg, &spec, &data, gpu, &report, &model, model_bytes, started)?;
    if let Some(m) = &plan.metrics {
        let text = serde_json::to_string_pretty(&metrics).map_err(|e| QatError::Invalid(e.to_string()))?;
        m.write(text.as_bytes())?;
    }
    print_report(&metrics);
    Ok(())
}

/// The model and its starting float parameters from `--model` and `--init`: an ONNX file
/// brings its own graph (and refuses a --model beside it); a .safetensors file holds the
/// parameters of --model (default mnist-cnn); without --init, random parameters (None).
pub fn starting_model(
    model: Option<&str>,
    init: Option<&std::path::Path>,
) -> Result<(ModelSpec, Option<Vec<HostParams>>)> {
    let onnx = init.filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("onnx")));
    match onnx {
        Some(path) => {
            if model.is_some() {
                return Err(QatError::Invalid(format!(
                    "--init {} brings its own graph; leave out --model",
                    path.display()
                )));
            }
            let imported = wgpu_qat::import::onnx::read(path)?;
            for note in &imported.notes {
                eprintln!("note: {}: {note}", path.display());
            }
            Ok((imported.spec, Some(imported.params)))
        }
        None => {
            let spec = resolve(model.unwrap_or("mnist-cnn"))?;
            let params = init.map(|p| float_weights::read(p, &spec)).transpose()?;
            Ok((spec, params))
        }
    }
}

/// The `--mean`/`--std` normalization: one finite mean and one positive std per channel.
fn explicit_norm(mean: &[f32], std: &[f32], channels: u32) -> Result<InputNorm> {
    if mean.len() != channels as usize || std.len() != channels as usize {
        return Err(QatError::Invalid(format!(
            "--mean and --std need one value per input channel ({channels}); got {} and {}",
            mean.len(),
            std.len()
        )));
    }
    if mean.iter().any(|m| !m.is_finite()) || std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(QatError::Invalid(format!("--mean {mean:?} must be finite and --std {std:?} positive and finite")));
    }
    Ok(InputNorm { mean: mean.to_vec(), std: std.to_vec() })
}

/// Checks every argument and output path before any work, so a bad one costs nothing and an
/// existing file is left exactly as it was.
fn parse(a: &TrainArgs) -> Result<Plan> {
    if a.qat_epochs == 0 {
        return Err(QatError::Invalid(
            "--qat-epochs must be at least 1: the int8 export needs the ranges QAT observes".into(),
        ));
    }
    if a.batch == 0 {
        return Err(QatError::Invalid("--batch must be at least 1".into()));
    }
    for (name, v) in [("--train-limit", a.train_limit), ("--test-limit", a.test_limit)] {
        if v == Some(0) {
            return Err(QatError::Invalid(format!("{name} must be at least 1")));
        }
    }
    let lr = a.lr.unwrap_or(LrSchedule::from(a.lr_schedule).default_rate());
    if !(lr.is_finite() && lr > 0.0) {
        return Err(QatError::Invalid(format!("--lr {lr} must be a positive number")));
    }
    if !(2..=8).contains(&a.bits) {
        return Err(QatError::Invalid(format!("--bits {} must be between 2 and 8", a.bits)));
    }
    if a.bits != 8 {
        return Err(QatError::Invalid(format!("--bits {}: fake quant supports it, but the int8 model file and interpreter need 8 bits; other widths are not exported yet", a.bits)));
    }
    let out = OutputPath::check(&a.out).map_err(|e| flag("--out", e))?;
    let metrics = a.metrics.as_deref().map(OutputPath::check).transpose().map_err(|e| flag("--metrics", e))?;
    let exports = a
        .export
        .iter()
        .map(|&f| Ok((f, OutputPath::check(&a.out.with_extension(f.extension())).map_err(|e| flag("--export", e))?)))
        .collect::<Result<Vec<_>>>()?;
    if exports.iter().any(|(_, p)| p.target == out.target || metrics.as_ref().is_some_and(|m| m.target == p.target)) {
        return Err(QatError::Invalid(
            "an --export file would replace the model or the metrics; give --out another extension".into(),
        ));
    }
    if metrics.as_ref().is_some_and(|m| m.target == out.target) {
        return Err(QatError::Invalid(format!(
            "--out and --metrics name the same file ({}); the metrics would replace the model",
            out.target.display()
        )));
    }
    if a.checkpoint_every == Some(0) {
        return Err(QatError::Invalid("--checkpoint-every must be at least 1".into()));
    }
    if a.checkpoint_every.is_some() && a.checkpoint.is_none() && a.resume.is_none() {
        return Err(QatError::Invalid("--checkpoint-every needs --checkpoint DIR (or --resume DIR)".into()));
    }
    let save_float = a.save_float.as_deref().map(OutputPath::check).transpose().map_err(|e| flag("--save-float", e))?;
    if save_float.as_ref().is_some_and(|s| s.target == out.target) {
        return Err(QatError::Invalid("--save-float and --out name the same file".into()));
    }
    Ok(Plan { lr, save_float, out, metrics, exports })
}

/// Writes the model (validated as the reader validates, so it always loads) and its exports;
/// returns the model file's size.
fn export(a: &TrainArgs, plan: &Plan, model: &QuantModel) -> Result<usize> {
    let bytes = format::to_bytes(model).map_err(|e| format::invalid_export(&a.out, e))?;
    plan.out.write(&bytes)?;
    for (format, path) in &plan.exports {
        let n = super::export::write(model, *format, false, super::export::InputLayout::Nhwc, path)?;
        if !a.quiet {
            eprintln!("exported {} ({n} bytes)", path.path.display());
        }
    }
    Ok(bytes.len())
}

/// Evaluates the int8 model on the CPU against the GPU fake-quant forward and gathers the
/// metrics.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    a: &TrainArgs,
    plan: &Plan,
    cfg: &TrainConfig,
    spec: &ModelSpec,
    data: &Dataset,
    gpu: &Gpu,
    report: &TrainReport,
    model: &QuantModel,
    model_bytes: usize,
    started: Instant,
) -> Result<TrainMetrics> {
    let test = test_split(data, cfg.test_limit);
    let t0 = Instant::now();
    let int8 = int8_logits(model, &test)?;
    let int8_secs = t0.elapsed().as_secs_f64();
    let qat_test = report.qat_test.as_ref().ok_or_else(|| QatError::Invalid("no QAT evaluation".into()))?;
    let agree = compare(&qat_test.logits, &int8, qat_test.classes, model.logits_quant(), &test.labels);
    let float_weight_bytes = 4 * spec.parameter_count()? as u64;
    Ok(TrainMetrics {
        model: spec.name.clone(),
        data: data.dir.display().to_string(),
        data_format: data.format,
        classes: data.classes,
        input_mean: data.norm.mean.clone(),
        input_std: data.norm.std.clone(),
        augment: a.augment.iter().map(|g| format!("{g:?}").to_lowercase()).collect(),
        adapter: gpu.describe(),
        epochs: a.epochs,
        qat_epochs: a.qat_epochs,
        batch: a.batch,
        seed: a.seed,
        lr: plan.lr,
        lr_schedule: cfg.schedule,
        weights: cfg.weight_quant,
        bits: a.bits,
        bn_freeze: a.bn_freeze,
        int8_ops: model.nodes.iter().map(|n| n.op.op_name()).collect(),
        train_samples: report.train_samples,
        val_samples: report.val_samples,
        test_samples: report.test_samples,
        float_val_acc: report.float.val_acc.clone(),
        qat_val_acc: report.qat.val_acc.clone(),
        float_test_acc: report.float_test_acc,
        qat_test_acc: qat_test.accuracy,
        int8_test_acc: agree.int8_acc,
        top1_agreement: agree.top1_agreement,
        max_logit_diff_lsb: agree.max_logit_diff_lsb,
        mean_logit_diff_lsb: agree.mean_logit_diff_lsb,
        float_weight_bytes,
        int8_model_bytes: model_bytes as u64,
        int8_to_float_size: model_bytes as f64 / float_weight_bytes as f64,
        float_images_per_sec: report.float.images_per_sec,
        qat_images_per_sec: report.qat.images_per_sec,
        float_train_seconds: report.float.seconds,
        qat_train_seconds: report.qat.seconds,
        int8_cpu_images_per_sec: test.count as f64 / int8_secs.max(1e-9),
        total_seconds: started.elapsed().as_secs_f64(),
        model_file: a.out.display().to_string(),
        exported: plan.exports.iter().map(|(_, p)| p.path.display().to_string()).collect(),
    })
}

fn print_report(m: &TrainMetrics) {
    println!("float test accuracy (GPU, float):      {:.4}", m.float_test_acc);
    println!("QAT test accuracy (GPU, fake quant):   {:.4}", m.qat_test_acc);
    println!("int8 test accuracy (CPU, integer only): {:.4}", m.int8_test_acc);
    println!(
        "top-1 agreement fake quant vs int8:     {:.4} (logits differ by at most {} LSB, mean {:.4})",
        m.top1_agreement, m.max_logit_diff_lsb, m.mean_logit_diff_lsb
    );
    println!(
        "wrote {} ({} bytes, {:.3} of the {} float32 weight bytes) in {:.1} s",
        m.model_file, m.int8_model_bytes, m.int8_to_float_size, m.float_weight_bytes, m.total_seconds
    );
}

/// The metrics JSON of `qat train --metrics FILE` (README, "Metrics"): the run's settings, spelled
/// as the flags spell them, and what it measured.
#[derive(Debug, serde::Serialize)]
pub struct TrainMetrics {
    /// The model's name (a built-in's, or the spec file's `name`).
    pub model: String,
    /// The data set folder read.
    pub data: String,
    /// "idx", "cifar10" or "image-folder".
    pub data_format: wgpu_qat::data::dataset::Format,
    /// Classes in the data (one more than the largest label).
    pub classes: usize,
    /// Per-channel mean and std the pixels (p / 255) were normalized with (stored in the model).
    pub input_mean: Vec<f32>,
    pub input_std: Vec<f32>,
    /// `--augment` as given.
    pub augment: Vec<String>,
    /// The adapter: "name (backend, device type)".
    pub adapter: String,
    pub epochs: usize,
    pub qat_epochs: usize,
    pub batch: u32,
    pub seed: u64,
    /// The (peak) learning rate used.
    pub lr: f32,
    /// "cosine" or "constant", as `--lr-schedule`.
    pub lr_schedule: LrSchedule,
    /// "per-channel" or "per-tensor", as `--weights`.
    pub weights: WeightQuant,
    pub bits: u32,
    /// The QAT step after which batch norm was frozen (null: never).
    pub bn_freeze: Option<usize>,
    /// The int8 model's ops in order (TFLite names).
    pub int8_ops: Vec<&'static str>,
    pub train_samples: usize,
    pub val_samples: usize,
    pub test_samples: usize,
    /// Validation accuracy after each float epoch (GPU, float).
    pub float_val_acc: Vec<f64>,
    /// Validation accuracy after each QAT epoch (GPU, fake quant).
    pub qat_val_acc: Vec<f64>,
    pub float_test_acc: f64,
    pub qat_test_acc: f64,
    /// Test accuracy of the int8 model on the CPU interpreter.
    pub int8_test_acc: f64,
    /// Fraction of test images whose fake-quant and int8 top-1 agree.
    pub top1_agreement: f64,
    /// Largest difference between fake-quant and int8 logits, in output LSB.
    pub max_logit_diff_lsb: i32,
    pub mean_logit_diff_lsb: f64,
    /// Bytes of the float32 weights, biases and batch-norm parameters.
    pub float_weight_bytes: u64,
    /// Bytes of the .qat file.
    pub int8_model_bytes: u64,
    pub int8_to_float_size: f64,
    pub float_images_per_sec: f64,
    pub qat_images_per_sec: f64,
    pub float_train_seconds: f64,
    pub qat_train_seconds: f64,
    pub int8_cpu_images_per_sec: f64,
    pub total_seconds: f64,
    /// The .qat file written.
    pub model_file: String,
    /// The `--export` files written.
    pub exported: Vec<String>,
}
