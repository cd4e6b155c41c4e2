//! The int8 crate's error type: each variant names the file, node or value at fault.

use std::path::PathBuf;

/// Everything reading, validating, writing or running an int8 model can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Int8Error {
    /// Reading or writing `path` failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// `path` is not a model file this build reads (magic, version, length, checksum, payload).
    #[error("{path}: not a valid wgpu-qat model file: {detail}")]
    BadModel {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the node where one is at fault.
        detail: String,
    },
    /// A model that `validate` refuses was about to be written to `path`.
    #[error("{path}: the int8 model is not valid, so nothing was written: {detail}")]
    InvalidModel {
        /// The file that was not written.
        path: PathBuf,
        /// What is wrong, with the node at fault.
        detail: String,
    },
    /// An output path that cannot be written (checked before any work).
    #[error("{path}: cannot write here: {detail}")]
    Output {
        /// The output path.
        path: PathBuf,
        /// Why not.
        detail: String,
    },
    /// An input file that is not one we read: not a regular file, or too large.
    #[error("{path}: {detail}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// Anything else: an invalid model or argument, said in full.
    #[error("{0}")]
    Invalid(String),
}

/// The int8 crate's result.
pub type Result<T> = std::result::Result<T, Int8Error>;

impl Int8Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Int8Error::Io { path: path.into(), source }
    }
}
