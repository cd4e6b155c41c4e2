//! The int8 crate's error type: each variant names the file, node or value at fault.

use std::path::PathBuf;

/// Everything reading, validating, writing or running an int8 model can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Int8Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a valid wgpu-qat model file: {detail}")]
    BadModel { path: PathBuf, detail: String },
    #[error("{path}: the int8 model is not valid, so nothing was written: {detail}")]
    InvalidModel { path: PathBuf, detail: String },
    #[error("{path}: cannot write here: {detail}")]
    Output { path: PathBuf, detail: String },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, Int8Error>;

impl Int8Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Int8Error::Io { path: path.into(), source }
    }
}
