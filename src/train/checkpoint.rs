//! Checkpoints: everything a training run needs to go on exactly where it stopped, in one
//! safetensors file, `DIR/checkpoint.safetensors`, replaced atomically (a kill at any moment
//! leaves the previous checkpoint or the new one). Tensors: every buffer of
//! `Network::state_buffers` (weights, biases, Adam moments, batch-norm parameters and moving
//! statistics, weight and activation ranges), whole, as raw 32-bit words, and the current
//! epoch's sample order. Metadata (strings): the position (phase, epoch, step, Adam's t, the
//! global step, the shuffling generator's state), the phase reports so far, and the settings
//! the run was started with, which a resumed run must repeat so that it ends with the same
//! model file, byte for byte, as the run that was never stopped.

use crate::gpu::Gpu;
use crate::train::trainer::PhaseReport;
use crate::train::Network;
use crate::{QatError, Result};
use qat_int8::output::OutputPath;
use safetensors::{tensor::TensorView, Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The file in a checkpoint folder.
pub const FILE: &str = "checkpoint.safetensors";
/// The format of the metadata (bumped when what a checkpoint means changes).
pub const VERSION: &str = "1";
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
    tensors: HashMap<String, Vec<u8>>,
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
    let mut words: Vec<(String, Vec<u32>)> = Vec::new();
    for (name, buffer) in net.state_buffers() {
        words.push((name, gpu.read::<u32>(buffer, (buffer.size() / 4) as usize)?));
    }
    words.push((ORDER.into(), order.to_vec()));
    let mut views = Vec::new();
    for (name, w) in &words {
        let bytes: &[u8] = bytemuck::cast_slice(w);
        let view = TensorView::new(Dtype::U32, vec![w.len()], bytes)
            .map_err(|e| QatError::Invalid(format!("checkpoint tensor {name}: {e}")))?;
        views.push((name.clone(), view));
    }
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), format!("wgpu-qat checkpoint {VERSION}"));
    meta.insert("progress".to_string(), to_json(progress)?);
    meta.insert("settings".to_string(), to_json(settings)?);
    let bytes = safetensors::serialize(views, Some(meta))
        .map_err(|e| QatError::Invalid(format!("checkpoint in {}: {e}", dir.display())))?;
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
    let bytes = std::fs::read(&path).map_err(|e| QatError::io(&path, e))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(&path, format!("not a readable safetensors file (truncated or corrupt?): {e}")))?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(&path, e.to_string()))?;
    let meta = header.metadata().clone().unwrap_or_default();
    let field = |key: &str| {
        meta.get(key).ok_or_else(|| bad(&path, format!("no {key:?} in its metadata: not a wgpu-qat checkpoint")))
    };
    let format = field("format")?;
    if *format != format!("wgpu-qat checkpoint {VERSION}") {
        return Err(bad(&path, format!("format {format:?}; this build reads \"wgpu-qat checkpoint {VERSION}\"")));
    }
    let progress: Progress = serde_json::from_str(field("progress")?)
        .map_err(|e| bad(&path, format!("its progress record is damaged: {e}")))?;
    let settings: BTreeMap<String, String> = serde_json::from_str(field("settings")?)
        .map_err(|e| bad(&path, format!("its settings record is damaged: {e}")))?;
    let mut tensors = HashMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::U32 {
            return Err(bad(&path, format!("tensor {name:?} is {:?}, checkpoints hold U32 words", view.dtype())));
        }
        tensors.insert(name, view.data().to_vec());
    }
    let order = tensors
        .remove(ORDER)
        .map(|b| b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
        .ok_or_else(|| bad(&path, format!("no {ORDER:?} tensor")))?;
    Ok(Checkpoint { path, progress, settings, order, tensors })
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

    /// Writes the checkpointed buffers into `net`, whose buffers must match them by name and
    /// size.
    pub fn restore(&self, gpu: &Gpu, net: &Network) -> Result<()> {
        let buffers = net.state_buffers();
        if buffers.len() != self.tensors.len() {
            return Err(bad(
                &self.path,
                format!("holds {} network tensors, the model has {}", self.tensors.len(), buffers.len()),
            ));
        }
        for (name, buffer) in buffers {
            let bytes = self.tensors.get(&name).ok_or_else(|| bad(&self.path, format!("no tensor {name:?}")))?;
            if bytes.len() as u64 != buffer.size() {
                return Err(bad(
                    &self.path,
                    format!("tensor {name:?} has {} bytes, the model's buffer {}", bytes.len(), buffer.size()),
                ));
            }
            gpu.queue.write_buffer(buffer, 0, bytes);
        }
        gpu.wait()
    }
}
