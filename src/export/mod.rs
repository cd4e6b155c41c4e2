//! The packed int8 model. Its types, validation and file live in the GPU-free `qat_int8` crate
//! (re-exported here); this module adds the one GPU-side step: its in-memory form (`model`), how a trained network becomes one
//! (`quantize`), the one validation every model passes before it is written or run
//! (`validate`), and the versioned, checksummed file (`format`, documented in docs/FORMAT.md).

pub use qat_int8::{format, model, validate};
pub mod quantize;

pub use model::{QLayer, QuantModel};
