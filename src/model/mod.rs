//! Model descriptions: the DAG spec and shape inference (`spec`), parameter geometry
//! (`geometry`), the size limits every model obeys (`limits`), the built-in models (`builtin`) and spec files (`file`, docs/MODELS.md).

pub mod builtin;
pub mod file;
pub mod float_weights;
pub mod geometry;
pub mod kinds;
pub mod layer;
pub mod params;
pub mod placement;
pub mod spec;
