//! Parameter geometry of weighted layers: how many weights and biases, their fan-in/fan-out for
//! initialisation, and how weights are grouped for per-channel quantization.

use crate::model::Layer;

/// Parameter facts of one weighted layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    pub weight_len: usize,
    /// 0 when batch norm replaces the bias.
    pub bias_len: usize,
    /// Channels of the batch norm after the layer (0 without).
    pub bn_channels: usize,
    pub fan_in: usize,
    pub fan_out: usize,
    /// Output channels (per-channel quantization groups).
    pub channels: usize,
    /// Per-channel layout: channel of weight i is (i / inner) % channels
    /// (OHWI: inner = KH*KW*I; depthwise [KH, KW, C]: inner = 1; dense [out, in]: inner = in).
    pub inner: usize,
}

pub fn weights(layer: &Layer, input: [u32; 3]) -> Option<Weights> {
    match *layer {
        Layer::Conv2d { filters, kernel, batch_norm, .. } => {
            let k = (kernel[0] * kernel[1]) as usize;
            let (o, c) = (filters as usize, input[2] as usize);
            let bn = if batch_norm { o } else { 0 };
            Some(Weights {
                weight_len: o * k * c,
                bias_len: o - bn,
                bn_channels: bn,
                fan_in: k * c,
                fan_out: k * o,
                channels: o,
                inner: k * c,
            })
        }
        Layer::DepthwiseConv2d { kernel, batch_norm, .. } => {
            let k = (kernel[0] * kernel[1]) as usize;
            let c = input[2] as usize;
            let bn = if batch_norm { c } else { 0 };
            // Keras's depthwise_initializer fan: kernel taps in, kernel taps out.
            Some(Weights {
                weight_len: k * c,
                bias_len: c - bn,
                bn_channels: bn,
                fan_in: k,
                fan_out: k,
                channels: c,
                inner: 1,
            })
        }
        Layer::Dense { units, .. } => {
            let (o, i) = (units as usize, (input[0] * input[1] * input[2]) as usize);
            Some(Weights {
                weight_len: o * i,
                bias_len: o,
                bn_channels: 0,
                fan_in: i,
                fan_out: o,
                channels: o,
                inner: i,
            })
        }
        _ => None,
    }
}
