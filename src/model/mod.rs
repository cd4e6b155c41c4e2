//! Model descriptions: layer specs, the built-in models, and shape inference.

pub mod spec;

pub use spec::{Layer, ModelSpec};
