//! Plain-loop f32 twins of the WGSL kernels, one function per kernel, same parameters, one
//! file per op family. They are written for clarity, not speed, and accumulate in the order the
//! kernels do where that is cheap to match.

mod activation;
mod batch_norm;
mod conv;
mod data;
mod dense;
mod elementwise;
mod loss;
mod optim;
mod pool;
mod quant;

pub use activation::*;
pub use batch_norm::*;
pub use conv::*;
pub use data::*;
pub use dense::*;
pub use elementwise::*;
pub use loss::*;
pub use optim::*;
pub use pool::*;
pub use quant::*;
