//! Data: the IDX reader, MNIST discovery/verification/caching, the user's own images, seeded
//! shuffling, and the GPU-resident copy of a data set that batches are gathered from.

pub mod download;
pub mod gpu;
pub mod idx;
pub mod image;
pub mod mnist;
pub mod rng;

pub use mnist::Mnist;
