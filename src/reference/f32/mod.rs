//! Plain-loop f32 twins of the WGSL kernels: one file per op, named as the op's folder under
//! `shaders/` and its module under `ops`, one function per kernel with the same parameters.
//! They are written for clarity, not speed, and accumulate in the order the kernels do where
//! that is cheap to match.

mod adam;
mod avg_pool;
mod batch_norm;
mod concat;
mod conv2d;
mod depthwise;
mod elementwise;
mod fake_quant;
mod gather;
mod global_avg_pool;
mod loss;
mod matmul;
mod max_pool;
mod observer;
mod reduce;
mod relu;

pub use adam::*;
pub use avg_pool::*;
pub use batch_norm::*;
pub use concat::*;
pub use conv2d::*;
pub use depthwise::*;
pub use elementwise::*;
pub use fake_quant::*;
pub use gather::*;
pub use global_avg_pool::*;
pub use loss::*;
pub use matmul::*;
pub use max_pool::*;
pub use observer::*;
pub use reduce::*;
pub use relu::*;
