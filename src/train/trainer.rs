//! The training loop: float epochs, then QAT fine-tuning epochs (fresh Adam state, as a newly
//! compiled Keras model gets), each epoch a seeded shuffle replayed through one recorded plan.
//! Loss, accuracy and the health words (non-finite or exploding values, recorded on the GPU
//! with their step) are read back every `report_every` steps only; a problem stops the run
//! with the step at which it first appeared.

use crate::data::gpu::GpuDataset;
use crate::data::rng::Rng;
use crate::data::{Dataset, Split};
use crate::gpu::Gpu;
use crate::model::ModelSpec;
use crate::ops::adam::AdamConfig;
use crate::ops::gather::Augment;
use crate::ops::loss::explode_limit;
use crate::train::eval::{evaluate, EvalResult};
use crate::train::network::WeightQuant;
use crate::train::plan::{Plan, PlanOptions};
use crate::train::schedule::LrSchedule;
use crate::train::Network;
use crate::{QatError, Result};
use std::time::Instant;

#[derive(Debug, Clone)]
/// A training run's options (the `qat train` flags).
pub struct TrainConfig {
    /// Float epochs.
    pub epochs: usize,
    /// QAT epochs after them.
    pub qat_epochs: usize,
    /// Samples per step.
    pub batch: u32,
    /// Seeds initialisation and shuffling.
    pub seed: u64,
    /// Adam's hyper-parameters (`lr` is the schedule's peak).
    pub adam: AdamConfig,
    /// The learning-rate schedule.
    pub schedule: LrSchedule,
    /// Activation range moving-average decay (tfmot: 0.999).
    pub decay: f32,
    /// Bits of the fake-quant grids.
    pub bits: u32,
    /// Per-channel (default) or per-tensor conv and depthwise weights.
    pub weight_quant: WeightQuant,
    /// Freeze batch norm (moving statistics only) after this many QAT steps.
    pub bn_freeze: Option<usize>,
    /// Fraction of the training set held out (the last samples, as Keras's validation_split).
    pub validation_split: f64,
    /// Use only the first N training samples (tests, quick runs).
    pub train_limit: Option<usize>,
    /// Evaluate on only the first N test samples.
    pub test_limit: Option<usize>,
    /// Samples per evaluation batch (shrunk to fit the adapter).
    pub eval_batch: u32,
    /// Read the totals (and update the progress bar) every this many steps.
    pub report_every: usize,
    /// Show a progress bar.
    pub progress: bool,
    /// Random crop and flip of training batches.
    pub augment: Augment,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 1,
            qat_epochs: 1,
            batch: 32,
            seed: 1,
            adam: AdamConfig { lr: LrSchedule::Cosine.default_rate(), ..AdamConfig::default() },
            schedule: LrSchedule::Cosine,
            decay: 0.999,
            bits: 8,
            weight_quant: WeightQuant::PerChannel,
            bn_freeze: None,
            validation_split: 0.1,
            train_limit: None,
            test_limit: None,
            eval_batch: 500,
            report_every: 100,
            progress: true,
            augment: Augment::default(),
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
/// What one phase (float or QAT) did.
pub struct PhaseReport {
    /// Epochs run.
    pub epochs: usize,
    /// Steps run.
    pub steps: usize,
    /// Wall time of the phase.
    pub seconds: f64,
    /// Training images per second.
    pub images_per_sec: f64,
    /// Mean loss of the last reported steps.
    pub last_loss: f64,
    /// Training accuracy of the last reported steps.
    pub last_train_acc: f64,
    /// Validation accuracy after each epoch.
    pub val_acc: Vec<f64>,
}

#[derive(Debug, Clone)]
/// What a training run did.
pub struct TrainReport {
    /// The float phase.
    pub float: PhaseReport,
    /// The QAT phase.
    pub qat: PhaseReport,
    /// Float accuracy on the test split (GPU).
    pub float_test_acc: f64,
    /// GPU fake-quant forward on the test set (None without QAT epochs).
    pub qat_test: Option<EvalResult>,
    /// Training samples used.
    pub train_samples: usize,
    /// Validation samples held out.
    pub val_samples: usize,
    /// Test samples evaluated.
    pub test_samples: usize,
}

/// The test split, truncated to `limit`.
pub fn test_split(data: &Dataset, limit: Option<usize>) -> Split {
    let n = limit.unwrap_or(data.test.count).min(data.test.count);
    data.test.slice(0, n, data.pixels())
}

/// Trains `spec` on `data`; returns the network (on the GPU) and the report.
pub fn train(gpu: &Gpu, spec: &ModelSpec, data: &Dataset, cfg: &TrainConfig) -> Result<(Network, TrainReport)> {
    if cfg.batch == 0 {
        return Err(QatError::Invalid("the batch size must be at least 1".into()));
    }
    data.check_fits(spec)?;
    crate::train::preflight::check_device_limits(&gpu.limits, spec, cfg.batch)?;
    let pixels = data.pixels();
    let total = cfg.train_limit.unwrap_or(data.train.count).min(data.train.count);
    let val_count = ((total as f64) * cfg.validation_split).round() as usize;
    let train_count = total - val_count;
    if train_count < cfg.batch as usize {
        return Err(QatError::Invalid(format!(
            "{train_count} training samples is fewer than one batch of {}",
            cfg.batch
        )));
    }
    let train_split = data.train.slice(0, train_count, pixels);
    let val_split = data.train.slice(train_count, val_count, pixels);
    let test = test_split(data, cfg.test_limit);
    let upload = |split: &Split| GpuDataset::upload(gpu, split, data.shape, &data.norm);
    let train_ds = upload(&train_split);
    let val_ds = (val_count > 0).then(|| upload(&val_split));
    let test_ds = upload(&test);

    let mut net = Network::init(gpu, spec, cfg.seed, cfg.weight_quant)?;
    net.input_norm = data.norm.clone();
    let mut rng = Rng::new(cfg.seed);
    let steps_per_epoch = train_count / cfg.batch as usize;
    let mut opts = PlanOptions {
        batch: cfg.batch,
        qat: false,
        train: true,
        bn_frozen: false,
        adam: cfg.adam,
        decay: cfg.decay,
        bits: cfg.bits,
        augment: cfg.augment,
    };

    let validate = |qat: bool| -> Result<Option<f64>> {
        match &val_ds {
            Some(ds) => Ok(Some(evaluate(gpu, &net, ds, &val_split.labels, qat, cfg.eval_batch, cfg.bits)?.accuracy)),
            None => Ok(None),
        }
    };

    let mut clock = Clock { t: 0, step: 0, total: (cfg.epochs + cfg.qat_epochs) * steps_per_epoch };
    let mut float = PhaseReport { epochs: cfg.epochs, ..Default::default() };
    if cfg.epochs > 0 {
        let plan = Plan::build(gpu, &net, &train_ds, train_count, opts)?;
        run_phase(
            gpu,
            &[&plan],
            &|_| 0,
            cfg,
            "float",
            cfg.epochs,
            steps_per_epoch,
            train_count,
            &mut rng,
            &mut clock,
            &mut float,
            &|| validate(false),
        )?;
    }
    let float_test_acc = evaluate(gpu, &net, &test_ds, &test.labels, false, cfg.eval_batch, cfg.bits)?.accuracy;

    let mut qat = PhaseReport { epochs: cfg.qat_epochs, ..Default::default() };
    let mut qat_test = None;
    if cfg.qat_epochs > 0 {
        if cfg.schedule.restarts_optimizer_for_qat() {
            reset_optimizer(gpu, &net);
            clock.t = 0;
        }
        opts.qat = true;
        let plan = Plan::build(gpu, &net, &train_ds, train_count, opts)?;
        // After `bn_freeze` QAT steps, batch norm runs on its moving statistics only.
        let has_bn = spec.nodes.iter().any(|n| n.layer.has_batch_norm());
        let frozen = match cfg.bn_freeze {
            Some(_) if has_bn => Some(Plan::build_sharing(
                gpu,
                &net,
                &train_ds,
                train_count,
                PlanOptions { bn_frozen: true, ..opts },
                Some(&plan),
            )?),
            _ => None,
        };
        let mut plans = vec![&plan];
        plans.extend(frozen.as_ref());
        let freeze_at = cfg.bn_freeze.unwrap_or(usize::MAX);
        let choose = move |step: usize| usize::from(step >= freeze_at);
        run_phase(
            gpu,
            &plans,
            &choose,
            cfg,
            "qat",
            cfg.qat_epochs,
            steps_per_epoch,
            train_count,
            &mut rng,
            &mut clock,
            &mut qat,
            &|| validate(true),
        )?;
        qat_test = Some(evaluate(gpu, &net, &test_ds, &test.labels, true, cfg.eval_batch, cfg.bits)?);
    }
    let report = TrainReport {
        float,
        qat,
        float_test_acc,
        qat_test,
        train_samples: train_count,
        val_samples: val_count,
        test_samples: test.count,
    };
    Ok((net, report))
}

/// Step counters across phases: Adam's t and the global step the schedule reads.
struct Clock {
    t: u32,
    step: usize,
    total: usize,
}

/// Zeroes the Adam moments (the QAT model gets a new optimizer, as in the tfmot example).
fn reset_optimizer(gpu: &Gpu, net: &Network) {
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    for p in &net.params {
        for b in [&p.weight_m, &p.weight_v, &p.bias_m, &p.bias_v] {
            encoder.clear_buffer(b, 0, None);
        }
    }
    gpu.submit(encoder);
}

#[allow(clippy::too_many_arguments)]
fn run_phase(
    gpu: &Gpu,
    plans: &[&Plan],
    choose: &dyn Fn(usize) -> usize,
    cfg: &TrainConfig,
    phase: &'static str,
    epochs: usize,
    steps_per_epoch: usize,
    train_count: usize,
    rng: &mut Rng,
    clock: &mut Clock,
    report: &mut PhaseReport,
    validate: &dyn Fn() -> Result<Option<f64>>,
) -> Result<()> {
    let mut order: Vec<u32> = (0..train_count as u32).collect();
    let batch = cfg.batch as usize;
    let mut phase_step = 0usize;
    // The plans share their order and totals buffers (`Plan::build_sharing`).
    let plan = plans[0];
    for epoch in 1..=epochs {
        rng.shuffle(&mut order);
        gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(&order));
        let bar = progress_bar(cfg.progress, steps_per_epoch, format!("{phase} epoch {epoch}/{epochs}"));
        let start = Instant::now();
        let mut seen = 0usize;
        for s in 0..steps_per_epoch {
            clock.t += 1;
            let lr = cfg.schedule.rate(cfg.adam.lr, clock.step, clock.total);
            clock.step += 1;
            let active = plans[choose(phase_step).min(plans.len() - 1)];
            phase_step += 1;
            active.run(gpu, (s * batch) as u32, clock.t, lr, clock.step as u32)?;
            if (s + 1) % cfg.report_every == 0 || s + 1 == steps_per_epoch {
                let totals = plan.take_totals(gpu)?;
                // The GPU recorded the first step of each problem; stop at the earliest.
                if let Some((step, what)) = totals.health.first_problem(explode_limit(plan.classes)) {
                    bar.abandon_with_message("diverged");
                    return Err(QatError::Diverged { phase, epoch, step: step as usize, what });
                }
                let samples = totals.samples.max(1.0);
                let (loss, acc) = (totals.loss_sum / samples, totals.correct / samples);
                seen += totals.samples as usize;
                report.last_loss = loss as f64;
                report.last_train_acc = acc as f64;
                let ips = seen as f64 / start.elapsed().as_secs_f64().max(1e-9);
                bar.set_position((s + 1) as u64);
                bar.set_message(format!("loss {loss:.4} acc {acc:.4} {ips:.0} img/s"));
            }
        }
        gpu.wait()?;
        let secs = start.elapsed().as_secs_f64();
        report.seconds += secs;
        report.steps += steps_per_epoch;
        bar.finish_and_clear();
        let val = validate()?;
        if let Some(v) = val {
            report.val_acc.push(v);
        }
        if cfg.progress {
            eprintln!(
                "{phase} epoch {epoch}/{epochs}: loss {:.4} train acc {:.4}{} ({:.1} s, {:.0} img/s)",
                report.last_loss,
                report.last_train_acc,
                val.map(|v| format!(" val acc {v:.4}")).unwrap_or_default(),
                secs,
                (steps_per_epoch * batch) as f64 / secs
            );
        }
    }
    report.images_per_sec = (report.steps * batch) as f64 / report.seconds.max(1e-9);
    Ok(())
}

fn progress_bar(enabled: bool, len: usize, prefix: String) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    let style = indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({eta})")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(prefix);
    bar
}
