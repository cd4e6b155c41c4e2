//! The packed int8 model: its in-memory form (`model`), how a trained network becomes one
//! (`quantize`), the one validation every model passes before it is written or run
//! (`validate`), and the versioned, checksummed file (`format`, documented in docs/FORMAT.md).

pub mod format;
pub mod model;
pub mod quantize;
pub mod validate;

pub use model::{QLayer, QuantModel};
