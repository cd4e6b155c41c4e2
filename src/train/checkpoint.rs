//! Checkpoints: everything a training run needs to go on exactly where it stopped, in one
//! safetensors file, `DIR/checkpoint.safetensors`, replaced atomically (a kill at any moment
//! leaves the previous checkpoint or the new one). Tensors: every buffer of
//! `Network::state_buffers` (weights, biases, Adam moments, batch-norm parameters and moving
//! statistics, weight and activation ranges), whole, as raw 32-bit words, and the current
//! epoch's sample order. Metadata (strings): the position (phase, epoch, step, Adam's t, the
//! global step, the shuffling generator's state), the phase reports so far, and the settings
//! the run was started with, which a resumed run must repeat so that it ends with the same
//! model file, byte for byte, as the run that was never stopped.
//!
//! A checkpoint proves itself before a run goes on from it: a SHA-256 over everything it holds
//! (metadata and every tensor, `checksum`) catches damage, and `Checkpoint::check_position` and
//! `Checkpoint::check_tensors` check what it means against the run resuming it (the position
//! within the run's epochs and steps, the phase, Adam's and the schedule's counters, the
//! shuffling generator and the sample order replayed from the seed, every tensor's size and
//! finiteness), each refusal naming the field.

use crate::gpu::Gpu;
use crate::train::network::Network;
use crate::train::report::PhaseReport;
use crate::{QatError, Result};
use qat_int8::output::OutputPath;
use safetensors::{tensor::TensorView, Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The file in a checkpoint folder.
pub const FILE: &str = "checkpoint.safetensors";
/// The format of the metadata (bumped when what a checkpoint means changes).
pub const VERSION: &str = "2";
/// The metadata format before checksums and settings named by their flags (refused: a run
/// is started again).
const VERSION_UNCHECKED: &str = "1";
/// The metadata key of the checksum.
const CHECKSUM: &str = "sha256";
/// Largest checkpoint read (the weights and two Adam moments of the largest model, with room).
pub const MAX_BYTES: u64 = 4 << 30;
/// The name of the sample-order tensor.
const ORDER: &str = "train.order";

/// Float (0) or QAT (1) epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// The float epochs.
    Float,
    /// The QAT epochs.
    Qat,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Float => "float",
            Phase::Qat => "QAT",
        })
    }
}

/// Where a run stands: `step` steps of epoch `epoch` (0-based) of `phase` are done; the epoch's
/// shuffle happened already when `step > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// The phase.
    pub phase: Phase,
    /// Epochs of the phase completed before this one.
    pub epoch: usize,
    /// Steps of this epoch completed.
    pub step: usize,
    /// Adam's step counter.
    pub adam_t: u32,
    /// Steps run so far over both phases (the schedule's position).
    pub global_step: usize,
    /// The shuffling generator's state (`Rng::state`).
    pub rng: u64,
}

/// What a checkpoint holds besides the network's buffers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    /// Where the run stands.
    pub position: Position,
    /// The float phase's report so far.
    pub float: PhaseReport,
    /// The QAT phase's report so far.
    pub qat: PhaseReport,
    /// Float test accuracy, once the float phase has ended.
    pub float_test_acc: Option<f64>,
}

impl Progress {
    /// The report of `phase`.
    pub fn report(&mut self, phase: Phase) -> &mut PhaseReport {
        match phase {
            Phase::Float => &mut self.float,
            Phase::Qat => &mut self.qat,
        }
    }
}

/// A checkpoint read from disk.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The file it came from.
    pub path: PathBuf,
    /// Position and reports.
    pub progress: Progress,
    /// The settings of the run that wrote it.
    pub settings: BTreeMap<String, String>,
    /// The current epoch's sample order.
    pub order: Vec<u32>,
    /// Network buffers by name, as bytes.
    pub tensors: BTreeMap<String, Vec<u8>>,
}

/// What a resumed run expects a checkpoint to say: its shape (epochs, steps, samples) and, for
/// the position the checkpoint gives, the generator state and sample order replayed from the
/// seed (`trainer::sampling_at`).
#[derive(Debug, Clone)]
pub struct Expected {
    /// Float epochs of the run.
    pub epochs: usize,
    /// QAT epochs of the run.
    pub qat_epochs: usize,
    /// Steps per epoch.
    pub steps_per_epoch: usize,
    /// Training samples (the order is a permutation of 0..train_count).
    pub train_count: usize,
    /// Whether the QAT phase starts a fresh optimizer (Adam's t restarts at 0).
    pub restarts_optimizer: bool,
}

/// The SHA-256 of a checkpoint's content, in a fixed order: the format and the two metadata
/// records, then every tensor (by name) with its name and length.
fn checksum(format: &str, progress: &str, settings: &str, tensors: &BTreeMap<String, Vec<u8>>) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for s in [format, progress, settings] {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    }
    for (name, bytes) in tensors {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    crate::data::mnist::hex(&h.finalize())
}

/// The checkpoint file's bytes for its parts (the sample order is one of the tensors).
fn encode(
    progress: &Progress,
    settings: &BTreeMap<String, String>,
    tensors: &BTreeMap<String, Vec<u8>>,
) -> Result<Vec<u8>> {
    let mut views = Vec::new();
    for (name, bytes) in tensors {
        let view = TensorView::new(Dtype::U32, vec![bytes.len() / 4], bytes)
            .map_err(|e| QatError::Invalid(format!("checkpoint tensor {name}: {e}")))?;
        views.push((name.clone(), view));
    }
    let format = format!("wgpu-qat checkpoint {VERSION}");
    let (progress, settings) = (to_json(progress)?, to_json(settings)?);
    let mut meta = HashMap::new();
    meta.insert(CHECKSUM.to_string(), checksum(&format, &progress, &settings, tensors));
    meta.insert("format".to_string(), format);
    meta.insert("progress".to_string(), progress);
    meta.insert("settings".to_string(), settings);
    safetensors::serialize(views, Some(meta)).map_err(|e| QatError::Invalid(format!("checkpoint: {e}")))
}

fn bad(path: &Path, detail: impl Into<String>) -> QatError {
    QatError::BadData { path: path.into(), detail: detail.into() }
}

/// Reads back `net`'s state and writes it, with `progress`, `order` and `settings`, to
/// `dir/checkpoint.safetensors`, atomically.
pub fn save(
    gpu: &Gpu,
    net: &Network,
    dir: &Path,
    progress: &Progress,
    order: &[u32],
    settings: &BTreeMap<String, String>,
) -> Result<()> {
    let mut tensors = BTreeMap::new();
    for (name, buffer) in net.state_buffers() {
        let words = gpu.read::<u32>(buffer, (buffer.size() / 4) as usize)?;
        tensors.insert(name, bytemuck::cast_slice::<u32, u8>(&words).to_vec());
    }
    tensors.insert(ORDER.into(), bytemuck::cast_slice::<u32, u8>(order).to_vec());
    let bytes = encode(progress, settings, &tensors)?;
    OutputPath::check(&dir.join(FILE))?.write(&bytes)?;
    Ok(())
}

/// A metadata string.
fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| QatError::Invalid(format!("checkpoint metadata: {e}")))
}

/// Reads `dir/checkpoint.safetensors`; a missing, truncated, corrupt or foreign file is an error
/// naming it.
pub fn load(dir: &Path) -> Result<Checkpoint> {
    let path = dir.join(FILE);
    if !dir.is_dir() {
        return Err(bad(dir, "not a checkpoint folder (it does not exist or is not a folder)"));
    }
    let bytes = qat_int8::input::read_bounded(&path, MAX_BYTES, "a checkpoint")?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(&path, format!("not a readable safetensors file (truncated or corrupt?): {e}")))?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(&path, e.to_string()))?;
    let meta = header.metadata().clone().unwrap_or_default();
    let field = |key: &str| {
        meta.get(key).ok_or_else(|| bad(&path, format!("no {key:?} in its metadata: not a wgpu-qat checkpoint")))
    };
    let format = field("format")?;
    if *format == format!("wgpu-qat checkpoint {VERSION_UNCHECKED}") {
        return Err(bad(
            &path,
            "written by an older wgpu-qat (checkpoint format 1, without a checksum); this build cannot prove it, so start the run again",
        ));
    }
    if *format != format!("wgpu-qat checkpoint {VERSION}") {
        return Err(bad(&path, format!("format {format:?}; this build reads \"wgpu-qat checkpoint {VERSION}\"")));
    }
    let mut tensors = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::U32 {
            return Err(bad(&path, format!("tensor {name:?} is {:?}, checkpoints hold U32 words", view.dtype())));
        }
        tensors.insert(name, view.data().to_vec());
    }
    let want = field(CHECKSUM)?;
    if checksum(format, field("progress")?, field("settings")?, &tensors) != *want {
        return Err(bad(
            &path,
            "its SHA-256 checksum does not match its content: the checkpoint is damaged or was edited",
        ));
    }
    let progress: Progress = serde_json::from_str(field("progress")?)
        .map_err(|e| bad(&path, format!("its progress record is damaged: {e}")))?;
    let settings: BTreeMap<String, String> = serde_json::from_str(field("settings")?)
        .map_err(|e| bad(&path, format!("its settings record is damaged: {e}")))?;
    let order = tensors
        .remove(ORDER)
        .map(|b| b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
        .ok_or_else(|| bad(&path, format!("no {ORDER:?} tensor")))?;
    Ok(Checkpoint { path, progress, settings, order, tensors })
}

/// Why a field of a checkpoint is not what the run expects.
fn field_error(path: &Path, field: &str, detail: impl std::fmt::Display) -> QatError {
    bad(path, format!("field {field}: {detail}; the checkpoint does not belong to this run or was edited"))
}

impl Checkpoint {
    /// Checks that this run repeats the checkpointed run's settings; the error names each that
    /// differs.
    pub fn check_settings(&self, now: &BTreeMap<String, String>) -> Result<()> {
        let keys: std::collections::BTreeSet<&String> = self.settings.keys().chain(now.keys()).collect();
        let differ: Vec<String> = keys
            .into_iter()
            .filter(|k| self.settings.get(*k) != now.get(*k))
            .map(|k| {
                let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "(not set)".into());
                format!("{k}: {} in the checkpoint, {} now", show(self.settings.get(k)), show(now.get(k)))
            })
            .collect();
        if differ.is_empty() {
            return Ok(());
        }
        Err(bad(
            &self.path,
            format!(
                "was written by a run with other settings ({}); resume with the command that started it",
                differ.join("; ")
            ),
        ))
    }

    /// The checkpoint file's bytes (what `save` writes, with its checksum).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut tensors = self.tensors.clone();
        tensors.insert(ORDER.into(), bytemuck::cast_slice::<u32, u8>(&self.order).to_vec());
        encode(&self.progress, &self.settings, &tensors)
    }

    /// Checks the position, counters and sample order against the run resuming it; `sampling`
    /// gives the generator state and order that the run's seed yields at a position.
    pub fn check_position(&self, run: &Expected, sampling: &dyn Fn(&Position) -> (u64, Vec<u32>)) -> Result<()> {
        let p = self.progress.position;
        let path = &self.path;
        let spe = run.steps_per_epoch;
        let (phase_epochs, before) = match p.phase {
            Phase::Float => (run.epochs, 0),
            Phase::Qat => (run.qat_epochs, run.epochs * spe),
        };
        if p.phase == Phase::Float && run.epochs == 0 {
            return Err(field_error(path, "position.phase", "float, but this run has no float epochs (--epochs 0)"));
        }
        if p.epoch > phase_epochs || (p.epoch == phase_epochs && p.step != 0) {
            return Err(field_error(
                path,
                "position.epoch",
                format!(
                    "{} epoch {} (step {}) is past the run's {phase_epochs} epochs of that phase",
                    p.phase, p.epoch, p.step
                ),
            ));
        }
        if p.step >= spe {
            return Err(field_error(
                path,
                "position.step",
                format!("{} is not below the {spe} steps of an epoch", p.step),
            ));
        }
        let global = before + p.epoch * spe + p.step;
        if p.global_step != global {
            return Err(field_error(
                path,
                "position.global_step",
                format!("{}, but {} epoch {} step {} is global step {global}", p.global_step, p.phase, p.epoch, p.step),
            ));
        }
        let adam_t = if p.phase == Phase::Qat && run.restarts_optimizer { global - before } else { global };
        if p.adam_t as usize != adam_t {
            return Err(field_error(
                path,
                "position.adam_t",
                format!("{}, expected {adam_t} at this position", p.adam_t),
            ));
        }
        if self.order.len() != run.train_count {
            return Err(field_error(
                path,
                "train.order",
                format!("{} entries for a run of {} training samples", self.order.len(), run.train_count),
            ));
        }
        let mut seen = vec![false; run.train_count];
        for (i, &s) in self.order.iter().enumerate() {
            match seen.get_mut(s as usize) {
                Some(v) if !*v => *v = true,
                _ => {
                    return Err(field_error(
                        path,
                        "train.order",
                        format!("entry {i} is {s}: not a permutation of the sample indices 0..{}", run.train_count),
                    ))
                }
            }
        }
        let (rng, order) = sampling(&p);
        if p.rng != rng {
            return Err(field_error(
                path,
                "position.rng",
                format!("{:#x} is not the generator state the seed gives here", p.rng),
            ));
        }
        if self.order != order {
            return Err(field_error(path, "train.order", "not the sample order the seed gives at this position"));
        }
        let q = &self.progress;
        match (p.phase, q.float_test_acc) {
            (Phase::Qat, None) => {
                return Err(field_error(
                    path,
                    "float_test_acc",
                    "missing in the QAT phase (set when the float phase ends)",
                ))
            }
            (_, Some(a)) if !(0.0..=1.0).contains(&a) => {
                return Err(field_error(path, "float_test_acc", format!("{a} is not an accuracy")))
            }
            _ => {}
        }
        for (name, r) in [("float", &q.float), ("qat", &q.qat)] {
            let numbers = [r.seconds, r.images_per_sec, r.last_loss, r.last_train_acc];
            if numbers.iter().chain(&r.val_acc).any(|v| !v.is_finite()) {
                return Err(field_error(path, &format!("{name} report"), "holds a value that is not a finite number"));
            }
        }
        Ok(())
    }

    /// Checks that the checkpoint holds exactly `net`'s tensors, each of its buffer's size and
    /// every value finite (a non-finite value means a damaged checkpoint, not a divergence).
    pub fn check_tensors(&self, expected: &[(String, u64)]) -> Result<()> {
        let path = &self.path;
        if let Some(extra) = self.tensors.keys().find(|k| !expected.iter().any(|(n, _)| n == *k)) {
            return Err(field_error(path, &format!("tensor {extra:?}"), "the model has no such tensor"));
        }
        for (name, size) in expected {
            let bytes =
                self.tensors.get(name).ok_or_else(|| field_error(path, &format!("tensor {name:?}"), "missing"))?;
            if bytes.len() as u64 != *size {
                return Err(field_error(
                    path,
                    &format!("tensor {name:?}"),
                    format!("{} bytes, the model's buffer has {size}", bytes.len()),
                ));
            }
            let values = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            if let Some((i, v)) = values.enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(field_error(
                    path,
                    &format!("tensor {name:?}"),
                    format!(
                        "holds {v} at index {i}, a non-finite value no run can go on from: the checkpoint is damaged"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Writes the checkpointed buffers into `net`, after `check_tensors`.
    pub fn restore(&self, gpu: &Gpu, net: &Network) -> Result<()> {
        let buffers = net.state_buffers();
        let expected: Vec<(String, u64)> = buffers.iter().map(|(n, b)| (n.clone(), b.size())).collect();
        self.check_tensors(&expected)?;
        for (name, buffer) in buffers {
            if let Some(bytes) = self.tensors.get(&name) {
                gpu.queue.write_buffer(buffer, 0, bytes);
            }
        }
        gpu.wait()
    }
}
