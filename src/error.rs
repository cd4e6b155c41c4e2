//! The crate's one error type. Variants carry the file, layer, op or shape that went wrong so a
//! message can say what and where without a backtrace.

use std::path::PathBuf;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum QatError {
    /// No adapter (matching `--adapter`, when given).
    #[error("no GPU adapter found{}: {detail}", filter.as_ref().map(|f| format!(" matching {f:?}")).unwrap_or_default())]
    NoAdapter {
        /// The `--adapter` substring, if one was given.
        filter: Option<String>,
        /// The adapters there are, or why none was found.
        detail: String,
    },
    /// The adapter lacks a feature or limit training needs.
    #[error("the adapter {adapter:?} lacks what we need: {what}")]
    AdapterLacks {
        /// The adapter's name.
        adapter: String,
        /// The feature or limit.
        what: String,
    },
    /// The adapter refused to open a device.
    #[error("could not open a device on {adapter:?}: {detail}")]
    RequestDevice {
        /// The adapter's name.
        adapter: String,
        /// What wgpu said.
        detail: String,
    },
    /// A validation or out-of-memory error caught by an error scope.
    #[error("GPU error while {context}: {detail}")]
    Gpu {
        /// What we were doing.
        context: String,
        /// What wgpu said.
        detail: String,
    },
    /// The device was lost (driver reset, GPU removed).
    #[error("the GPU device was lost ({detail})")]
    DeviceLost {
        /// The reason wgpu gave.
        detail: String,
    },
    /// A shader failed to parse, validate or build.
    #[error("shader {name:?}: {detail}")]
    Shader {
        /// The shader's registry name.
        name: String,
        /// naga's or the driver's message.
        detail: String,
    },
    /// Reading or writing `path` failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A data or spec file is malformed.
    #[error("{path}: {detail}")]
    BadData {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// MNIST is in none of the places looked in, and downloading is off or failed.
    #[error("no data found; looked for {looked_for}")]
    DataMissing {
        /// The places looked in.
        looked_for: String,
    },
    /// A layer's shape does not fit (or breaks a limit).
    #[error("layer {layer} ({op}): {detail}")]
    Shape {
        /// The node index.
        layer: usize,
        /// Its spec-file type.
        op: &'static str,
        /// Its name and what does not fit.
        detail: String,
    },
    /// Training produced a NaN, an infinity or an exploding loss.
    #[error("training diverged at step {step} ({phase} epoch {epoch}): {what}; nothing was written; try a lower learning rate")]
    Diverged {
        /// "float" or "QAT".
        phase: &'static str,
        /// The epoch within the phase (from 1).
        epoch: usize,
        /// The training step (from 1, over the whole run).
        step: usize,
        /// What was seen first.
        what: String,
    },
    /// A GPU buffer that the adapter cannot bind (found before it was made).
    #[error("{context}: the GPU buffer for {label} needs {bytes} bytes, more than this adapter's limit of {limit} bytes (max_storage_buffer_binding_size); {hint}")]
    BufferTooLarge {
        /// What was being recorded (the layer).
        context: String,
        /// The buffer's label.
        label: String,
        /// The bytes it needs.
        bytes: u64,
        /// The adapter's limit.
        limit: u64,
        /// What the user can change.
        hint: &'static str,
    },
    /// Anything else: an invalid argument or model, said in full.
    #[error("{0}")]
    Invalid(String),
    /// Reading, validating, writing or running an int8 model (`qat_int8`).
    #[error(transparent)]
    Int8(#[from] qat_int8::Int8Error),
}

/// The crate's result.
pub type Result<T> = std::result::Result<T, QatError>;

impl QatError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        QatError::Io { path: path.into(), source }
    }
    /// A GPU error while doing `context`.
    pub fn gpu(context: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        QatError::Gpu { context: context.into(), detail: detail.to_string() }
    }
}
