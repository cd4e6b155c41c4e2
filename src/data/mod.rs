//! Data: the IDX reader, MNIST discovery/verification/caching, seeded shuffling, and the
//! GPU-resident copy of a data set that batches are gathered from.

pub mod download;
pub mod gpu;
pub mod idx;
pub mod mnist;
pub mod rng;

pub use mnist::Mnist;
