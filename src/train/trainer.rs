//! The training loop: float epochs, then QAT fine-tuning epochs (fresh Adam state, as a newly
//! compiled Keras model gets), each epoch a seeded shuffle replayed through one recorded plan.
//! Loss, accuracy and the health words (non-finite or exploding values, recorded on the GPU
//! with their step) are read back every `report_every` steps only; a problem stops the run
//! with the step at which it first appeared.

use crate::data::rng::Rng;
use crate::data::{dataset::Dataset, dataset::Split};
use crate::gpu::Gpu;
use crate::model::params::HostParams;
use crate::model::spec::ModelSpec;
use crate::ops::adam::AdamConfig;
use crate::ops::gather::Augment;
use crate::ops::gather::GpuDataset;
use crate::ops::loss::explode_limit;
use crate::train::checkpoint::{self, Checkpoint, Expected, Phase, Position, Progress};
use crate::train::eval::evaluate;
use crate::train::network::Network;
use crate::train::network::WeightQuant;
use crate::train::plan::Plan;
use crate::train::record::PlanOptions;
use crate::train::report::{PhaseReport, TrainReport};
use crate::train::schedule::LrSchedule;
use crate::{QatError, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
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

/// The test split, truncated to `limit`.
pub fn test_split(data: &Dataset, limit: Option<usize>) -> Split {
    let n = limit.unwrap_or(data.test.count).min(data.test.count);
    data.test.slice(0, n, data.pixels())
}

/// Where and how often a run writes checkpoints (`qat train --checkpoint DIR`).
#[derive(Debug, Clone)]
pub struct CheckpointPlan {
    /// The checkpoint folder (it must exist).
    pub dir: PathBuf,
    /// Also every this many steps (always at the end of each epoch).
    pub every: Option<usize>,
}

/// What a run starts from and keeps besides the model file: initial float parameters (else
/// seeded random ones), checkpoints to write, a checkpoint to go on from.
#[derive(Default, Clone, Copy)]
pub struct Continuity<'a> {
    /// Float parameters to start from (`--init`), one entry per weighted node.
    pub init: Option<&'a [HostParams]>,
    /// Where to write checkpoints.
    pub checkpoint: Option<&'a CheckpointPlan>,
    /// The checkpoint to resume.
    pub resume: Option<&'a Checkpoint>,
}

/// Trains `spec` on `data`; returns the network (on the GPU) and the report.
pub fn train(gpu: &Gpu, spec: &ModelSpec, data: &Dataset, cfg: &TrainConfig) -> Result<(Network, TrainReport)> {
    train_from(gpu, spec, data, cfg, Continuity::default())
}

/// The settings a resumed run must repeat to end as the uninterrupted run would: the model,
/// the training data, and every option that changes a step or the order of samples.
pub fn settings(spec: &ModelSpec, data: &Dataset, cfg: &TrainConfig) -> BTreeMap<String, String> {
    let crc = |bytes: &[u8]| format!("{:08x}", crc32fast::hash(bytes));
    let or_unset = |v: Option<usize>| v.map_or("not set".to_string(), |v| v.to_string());
    let [h, w, c] = data.shape;
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_string(), v);
    };
    // The keys are the flags as `qat train` spells them, where a flag sets the value.
    put(
        "--model",
        format!("{} on {h}x{w}x{c} images, graph crc32 {}", spec.name, crc(format!("{:?}", spec.nodes).as_bytes())),
    );
    put(
        "--data",
        format!(
            "{} training images of {h}x{w}x{c}, crc32 {}",
            data.train.count,
            crc(&[&data.train.images[..], &data.train.labels[..]].concat())
        ),
    );
    let list = |v: &[f32]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",");
    put("--mean/--std", format!("{} / {}", list(&data.norm.mean), list(&data.norm.std)));
    put("--epochs", cfg.epochs.to_string());
    put("--qat-epochs", cfg.qat_epochs.to_string());
    put("--batch", cfg.batch.to_string());
    put("--seed", cfg.seed.to_string());
    put("--lr", cfg.adam.lr.to_string());
    put("Adam's betas and epsilon", format!("{}, {}, {}", cfg.adam.beta1, cfg.adam.beta2, cfg.adam.eps));
    put("--lr-schedule", spelled(&cfg.schedule));
    put("range decay", cfg.decay.to_string());
    put("--bits", cfg.bits.to_string());
    put("--weights", spelled(&cfg.weight_quant));
    put("--bn-freeze", or_unset(cfg.bn_freeze));
    put("validation split", cfg.validation_split.to_string());
    put("--train-limit", or_unset(cfg.train_limit));
    let mut augment = Vec::new();
    if cfg.augment.crop_pad > 0 {
        augment.push(format!("crop (by {} pixels)", cfg.augment.crop_pad));
    }
    if cfg.augment.flip {
        augment.push("flip".to_string());
    }
    put(
        "--augment",
        if augment.is_empty() { "none".into() } else { format!("{}, seed {}", augment.join(","), cfg.augment.seed) },
    );
    m
}

/// Trains as `train`, from `from.init` if given, writing checkpoints as `from.checkpoint` says
/// and, given `from.resume`, going on from it (its settings must be this run's).
pub fn train_from(
    gpu: &Gpu,
    spec: &ModelSpec,
    data: &Dataset,
    cfg: &TrainConfig,
    from: Continuity,
) -> Result<(Network, TrainReport)> {
    let Continuity { init, checkpoint, resume } = from;
    if cfg.batch == 0 {
        return Err(QatError::Invalid("the batch size must be at least 1".into()));
    }
    data.check_fits(spec)?;
    crate::train::preflight::check_int8_budget(spec)?;
    // A batch whose buffers do not fit the adapter is split into micro-batches.
    let micro = crate::train::preflight::micro_batches(&gpu.limits, spec, cfg.batch)?;
    // The settings hash the training data: made only for a run that checkpoints or resumes.
    let mut settings =
        if checkpoint.is_some() || resume.is_some() { settings(spec, data, cfg) } else { BTreeMap::new() };
    if micro > 1 && !settings.is_empty() {
        // A split step computes batch statistics per micro-batch: a resumed run splits alike.
        settings.insert("micro-batches per step (from the adapter's binding limit)".into(), micro.to_string());
    }
    if let Some(c) = resume {
        c.check_settings(&settings)?;
    }
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
    let upload = |split: &Split| GpuDataset::upload(gpu, &split.images, &split.labels, data.shape, &data.norm);
    gpu.buffer_context("uploading the training, validation and test images");
    let train_ds = upload(&train_split);
    let val_ds = (val_count > 0).then(|| upload(&val_split));
    let test_ds = upload(&test);
    gpu.buffer_context("");
    gpu.check()?;

    let mut net = match init {
        Some(params) => Network::with_params(gpu, spec, params, cfg.weight_quant)?,
        None => Network::init(gpu, spec, cfg.seed, cfg.weight_quant)?,
    };
    net.input_norm = data.norm.clone();
    // Every buffer of every plan this run replays, checked against the adapter before the
    // first step (sizing mode: nothing is made).
    let step = step_options(cfg, micro);
    let mut sized = vec![PlanOptions { qat: true, ..step }];
    if cfg.epochs > 0 {
        sized.push(step);
    }
    if cfg.bn_freeze.is_some() && spec.nodes.iter().any(|n| n.layer.has_batch_norm()) {
        sized.push(PlanOptions { qat: true, bn_frozen: true, ..step });
    }
    crate::train::preflight::check_step_buffers(gpu, &net, &train_ds, train_count, &sized)?;
    let steps_per_epoch = train_count / cfg.batch as usize;
    let mut progress = Progress {
        position: Position {
            phase: Phase::Float,
            epoch: 0,
            step: 0,
            adam_t: 0,
            global_step: 0,
            rng: Rng::new(cfg.seed).state(),
        },
        float: PhaseReport { epochs: cfg.epochs, ..Default::default() },
        qat: PhaseReport { epochs: cfg.qat_epochs, ..Default::default() },
        float_test_acc: None,
    };
    let mut resume_order = None;
    if let Some(c) = resume {
        let expected = Expected {
            epochs: cfg.epochs,
            qat_epochs: cfg.qat_epochs,
            steps_per_epoch,
            train_count,
            restarts_optimizer: cfg.schedule.restarts_optimizer_for_qat(),
        };
        c.check_position(&expected, &|p| sampling_at(cfg, train_count, p))?;
        c.restore(gpu, &net)?;
        progress = c.progress.clone();
        resume_order = Some(c.order.clone());
        if cfg.progress {
            let p = progress.position;
            eprintln!(
                "resuming {}: {} epoch {}, step {} of {steps_per_epoch}",
                c.path.display(),
                p.phase,
                p.epoch + 1,
                p.step
            );
        }
    }
    let mut opts = step;
    if cfg.progress && micro > 1 {
        eprintln!(
            "each step's batch of {} runs as {micro} micro-batches of {} (the whole batch's buffers exceed this adapter's binding limit); gradients are summed over the batch, batch norm's statistics are per micro-batch",
            cfg.batch,
            cfg.batch / micro
        );
    }

    let validate = |qat: bool| -> Result<Option<f64>> {
        match &val_ds {
            Some(ds) => Ok(Some(evaluate(gpu, &net, ds, &val_split.labels, qat, cfg.eval_batch, cfg.bits)?.accuracy)),
            None => Ok(None),
        }
    };
    let run = PhaseRun {
        gpu,
        net: &net,
        cfg,
        steps_per_epoch,
        train_count,
        total_steps: (cfg.epochs + cfg.qat_epochs) * steps_per_epoch,
        checkpoint,
        settings: &settings,
    };

    if cfg.epochs > 0 && progress.position.phase == Phase::Float {
        let plan = Plan::build(gpu, &net, &train_ds, train_count, opts)?;
        run.phase(&[&plan], &|_| 0, Phase::Float, cfg.epochs, &mut progress, resume_order.take(), &|| validate(false))?;
    }
    let float_test_acc = match progress.float_test_acc {
        Some(acc) => acc,
        None => evaluate(gpu, &net, &test_ds, &test.labels, false, cfg.eval_batch, cfg.bits)?.accuracy,
    };
    progress.float_test_acc = Some(float_test_acc);

    let mut qat_test = None;
    if cfg.qat_epochs > 0 {
        if progress.position.phase == Phase::Float {
            // The QAT phase starts here (not resumed from inside it).
            if cfg.schedule.restarts_optimizer_for_qat() {
                reset_optimizer(gpu, &net);
                progress.position.adam_t = 0;
            }
            progress.position = Position { phase: Phase::Qat, epoch: 0, step: 0, ..progress.position };
            resume_order = None;
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
        run.phase(&plans, &choose, Phase::Qat, cfg.qat_epochs, &mut progress, resume_order.take(), &|| validate(true))?;
        qat_test = Some(evaluate(gpu, &net, &test_ds, &test.labels, true, cfg.eval_batch, cfg.bits)?);
    }
    let report = TrainReport {
        float: progress.float,
        qat: progress.qat,
        float_test_acc,
        qat_test,
        train_samples: train_count,
        val_samples: val_count,
        test_samples: test.count,
    };
    Ok((net, report))
}

/// A setting as its flag takes it ("cosine", "per-channel"): its serde name.
fn spelled<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The options of a float training step of `cfg` in `micro_batches` (QAT steps set `qat`).
fn step_options(cfg: &TrainConfig, micro_batches: u32) -> PlanOptions {
    PlanOptions {
        batch: cfg.batch,
        micro_batches,
        qat: false,
        train: true,
        bn_frozen: false,
        adam: cfg.adam,
        decay: cfg.decay,
        bits: cfg.bits,
        augment: cfg.augment,
        calibrate: false,
    }
}

/// The shuffling generator's state and the sample order a run with `cfg` has at `position`, as
/// `PhaseRun::phase` makes them: each phase starts from the identity order and shuffles it at the
/// start of each epoch (so `epoch`, plus one once the epoch has begun, shuffles), with one
/// generator seeded by `cfg.seed` running through both phases.
pub fn sampling_at(cfg: &TrainConfig, train_count: usize, position: &Position) -> (u64, Vec<u32>) {
    let mut rng = Rng::new(cfg.seed);
    let identity = || (0..train_count as u32).collect::<Vec<u32>>();
    if position.phase == Phase::Qat {
        let mut float_order = identity();
        for _ in 0..cfg.epochs {
            rng.shuffle(&mut float_order);
        }
    }
    let mut order = identity();
    for _ in 0..position.epoch + usize::from(position.step > 0) {
        rng.shuffle(&mut order);
    }
    (rng.state(), order)
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

/// What every phase of one run shares.
struct PhaseRun<'a> {
    gpu: &'a Gpu,
    net: &'a Network,
    cfg: &'a TrainConfig,
    steps_per_epoch: usize,
    train_count: usize,
    total_steps: usize,
    checkpoint: Option<&'a CheckpointPlan>,
    settings: &'a BTreeMap<String, String>,
}

impl PhaseRun<'_> {
    /// Runs `phase`'s epochs from `progress.position` on (an epoch shuffles the order of the
    /// epoch before it; `resume_order` is that order when resuming inside the phase).
    #[allow(clippy::too_many_arguments)]
    fn phase(
        &self,
        plans: &[&Plan],
        choose: &dyn Fn(usize) -> usize,
        phase: Phase,
        epochs: usize,
        progress: &mut Progress,
        resume_order: Option<Vec<u32>>,
        validate: &dyn Fn() -> Result<Option<f64>>,
    ) -> Result<()> {
        let (gpu, cfg, steps_per_epoch) = (self.gpu, self.cfg, self.steps_per_epoch);
        let name = match phase {
            Phase::Float => "float",
            Phase::Qat => "qat",
        };
        let started = progress.position.epoch > 0 || progress.position.step > 0;
        let mut order: Vec<u32> = match resume_order {
            Some(o) if started && o.len() == self.train_count => o,
            _ => (0..self.train_count as u32).collect(),
        };
        let mut rng = Rng::from_state(progress.position.rng);
        let batch = cfg.batch as usize;
        // The plans share their order and totals buffers (`Plan::build_sharing`).
        let plan = plans[0];
        let first_epoch = progress.position.epoch;
        for epoch in first_epoch..epochs {
            let first_step = if epoch == first_epoch { progress.position.step } else { 0 };
            if first_step == 0 {
                rng.shuffle(&mut order);
            }
            gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(&order));
            let bar = progress_bar(cfg.progress, steps_per_epoch, format!("{name} epoch {}/{epochs}", epoch + 1));
            bar.set_position(first_step as u64);
            let start = Instant::now();
            let mut seen = 0usize;
            for s in first_step..steps_per_epoch {
                let pos = &mut progress.position;
                pos.adam_t += 1;
                let lr = cfg.schedule.rate(cfg.adam.lr, pos.global_step, self.total_steps);
                pos.global_step += 1;
                let active = plans[choose(epoch * steps_per_epoch + s).min(plans.len() - 1)];
                active.run(gpu, (s * batch) as u32, pos.adam_t, lr, pos.global_step as u32)?;
                if (s + 1) % cfg.report_every == 0 || s + 1 == steps_per_epoch {
                    let totals = plan.take_totals(gpu)?;
                    // The GPU recorded the first step of each problem; stop at the earliest.
                    if let Some((step, what)) = totals.health.first_problem(explode_limit(plan.classes)) {
                        bar.abandon_with_message("diverged");
                        return Err(QatError::Diverged { phase: name, epoch: epoch + 1, step: step as usize, what });
                    }
                    let samples = totals.samples.max(1.0);
                    let (loss, acc) = (totals.loss_sum / samples, totals.correct / samples);
                    seen += totals.samples as usize;
                    let report = progress.report(phase);
                    report.last_loss = loss as f64;
                    report.last_train_acc = acc as f64;
                    let ips = seen as f64 / start.elapsed().as_secs_f64().max(1e-9);
                    bar.set_position((s + 1) as u64);
                    bar.set_message(format!("loss {loss:.4} acc {acc:.4} {ips:.0} img/s"));
                }
                let every = self.checkpoint.and_then(|c| c.every);
                if every.is_some_and(|e| progress.position.global_step.is_multiple_of(e)) && s + 1 < steps_per_epoch {
                    progress.position.epoch = epoch;
                    progress.position.step = s + 1;
                    progress.position.rng = rng.state();
                    self.save(progress, &order)?;
                }
            }
            gpu.wait()?;
            let secs = start.elapsed().as_secs_f64();
            let steps = steps_per_epoch - first_step;
            let val = validate()?;
            let report = progress.report(phase);
            report.seconds += secs;
            report.steps += steps;
            report.images_per_sec = (report.steps * batch) as f64 / report.seconds.max(1e-9);
            bar.finish_and_clear();
            if let Some(v) = val {
                report.val_acc.push(v);
            }
            if cfg.progress {
                eprintln!(
                    "{name} epoch {}/{epochs}: loss {:.4} train acc {:.4}{} ({:.1} s, {:.0} img/s)",
                    epoch + 1,
                    report.last_loss,
                    report.last_train_acc,
                    val.map(|v| format!(" val acc {v:.4}")).unwrap_or_default(),
                    secs,
                    (steps * batch) as f64 / secs
                );
            }
            progress.position.epoch = epoch + 1;
            progress.position.step = 0;
            progress.position.rng = rng.state();
            if self.checkpoint.is_some() {
                self.save(progress, &order)?;
            }
        }
        Ok(())
    }

    /// Writes a checkpoint of the network and `progress` (with the current `order`).
    fn save(&self, progress: &Progress, order: &[u32]) -> Result<()> {
        match self.checkpoint {
            Some(c) => checkpoint::save(self.gpu, self.net, &c.dir, progress, order, self.settings),
            None => Ok(()),
        }
    }
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
