//! The crate's one error type. Variants carry the file, layer, op or shape that went wrong so a
//! message can say what and where without a backtrace.

use std::path::PathBuf;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum QatError {
    #[error("no GPU adapter found{}: {detail}", filter.as_ref().map(|f| format!(" matching {f:?}")).unwrap_or_default())]
    NoAdapter { filter: Option<String>, detail: String },
    #[error("the adapter {adapter:?} lacks what we need: {what}")]
    AdapterLacks { adapter: String, what: String },
    #[error("could not open a device on {adapter:?}: {detail}")]
    RequestDevice { adapter: String, detail: String },
    #[error("GPU error while {context}: {detail}")]
    Gpu { context: String, detail: String },
    #[error("the GPU device was lost ({detail})")]
    DeviceLost { detail: String },
    #[error("shader {name:?}: {detail}")]
    Shader { name: String, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    BadData { path: PathBuf, detail: String },
    #[error("no MNIST data found; looked for {looked_for}")]
    DataMissing { looked_for: String },
    #[error("layer {layer} ({op}): {detail}")]
    Shape { layer: usize, op: &'static str, detail: String },
    #[error("training diverged at step {step} ({phase} epoch {epoch}): {what}; nothing was written; try a lower learning rate")]
    Diverged { phase: &'static str, epoch: usize, step: usize, what: String },
    #[error("{0}")]
    Invalid(String),
    /// Reading, validating, writing or running an int8 model (`qat_int8`).
    #[error(transparent)]
    Int8(#[from] qat_int8::Int8Error),
}

pub type Result<T> = std::result::Result<T, QatError>;

impl QatError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        QatError::Io { path: path.into(), source }
    }
    pub fn gpu(context: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        QatError::Gpu { context: context.into(), detail: detail.to_string() }
    }
}
