//! Training: the network's GPU state (`network`), the recorded step and forward plans (`plan`),
//! the adapter's limits against a model before any GPU work (`preflight`), the epoch loop with progress and metrics (`trainer`), what a run reports (`report`), checkpoints (`checkpoint`), and evaluation on the GPU (`eval`).

pub mod bench;
pub mod calibrate;
pub mod checkpoint;
pub mod eval;
pub mod network;
pub mod plan;
pub mod preflight;
pub mod record;
pub mod report;
pub mod schedule;
pub mod trainer;
