//! A model's float parameters on the host, one entry per weighted node: weights in the layout
//! of `model::geometry`, biases, and the batch norm after the layer. Training uploads and reads
//! them back (`train::network`), import and `--init` make them, export quantizes them.

/// Host copy of a batch norm's state.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBn {
    /// Batch norm scale per channel.
    pub gamma: Vec<f32>,
    /// Batch norm offset per channel.
    pub beta: Vec<f32>,
    /// Moving mean per channel.
    pub moving_mean: Vec<f32>,
    /// Moving variance per channel.
    pub moving_var: Vec<f32>,
}

/// Host copy of a node's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct HostParams {
    /// The float weights.
    pub weight: Vec<f32>,
    /// The bias (empty with batch norm).
    pub bias: Vec<f32>,
    /// The batch norm after the layer, if any.
    pub bn: Option<HostBn>,
}
