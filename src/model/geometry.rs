//! Parameter geometry of weighted layers: how many weights and biases, their fan-in/fan-out for
//! initialisation, and how weights are grouped for per-channel quantization.

/// Parameter facts of one weighted layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    /// Number of weights.
    pub weight_len: usize,
    /// 0 when batch norm replaces the bias.
    pub bias_len: usize,
    /// Channels of the batch norm after the layer (0 without).
    pub bn_channels: usize,
    /// Fan-in for Glorot initialisation.
    pub fan_in: usize,
    /// Fan-out for Glorot initialisation.
    pub fan_out: usize,
    /// Output channels (per-channel quantization groups).
    pub channels: usize,
    /// Per-channel layout: channel of weight i is (i / inner) % channels
    /// (OHWI: inner = KH*KW*I; depthwise [KH, KW, C]: inner = 1; dense [out, in]: inner = in).
    pub inner: usize,
}
