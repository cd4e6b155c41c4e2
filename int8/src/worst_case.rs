//! Crafted models that spend a whole work budget on one op kind: every node applies the op to
//! the model input, in the shapes that cost the interpreter most per work unit, as many nodes
//! as the budget admits, then the logits read the input's mean. The budget's tests check that
//! each is admitted and one more node is not; `examples/op_costs.rs` times them.

use crate::limits::InterpreterLimits;
use crate::model::{InputNorm, QNode, QuantModel};
use crate::ops::{add::Add, avg_pool::AvgPool, concat::Concat, conv2d::Conv2d, depthwise_conv2d::DepthwiseConv2d};
use crate::ops::{flatten::Flatten, fully_connected::FullyConnected, max_pool::MaxPool, mean::Mean, QLayer};
use crate::quant::clamp::{Activation, Clamp};
use crate::quant::multiplier::{quantize_multiplier, Rounding};
use crate::quant::params::TensorQuant;
use crate::quant::per_channel::PerChannel;
use crate::shape::Padding;

/// The quantization of every tensor.
const Q: TensorQuant = TensorQuant { scale: 0.05, zero_point: -3 };
/// Every weight scale.
const W_SCALE: f32 = 0.01;

/// `n` weights in [-127, 127].
fn weights(n: u64) -> Vec<i8> {
    (0..n).map(|i| ((i * 7919 % 255) as i32 - 127) as i8).collect()
}

/// Scales, multipliers and biases of `o` channels.
fn per_channel(o: u32) -> PerChannel {
    let m = quantize_multiplier(Q.scale as f64 * W_SCALE as f64 / Q.scale as f64);
    PerChannel { weight_scales: vec![W_SCALE; o as usize], multipliers: vec![m; o as usize], bias: vec![0; o as usize] }
}

/// A "same" conv of `o` filters of `k` x `k` on `c` channels at `stride`.
pub fn conv(o: u32, k: u32, c: u32, stride: u32) -> QLayer {
    QLayer::Conv2d(Conv2d {
        out_channels: o,
        kernel: [k, k],
        in_channels: c,
        stride,
        padding: Padding::Same,
        activation: Activation::None,
        per_channel: per_channel(o),
        weights: weights(o as u64 * k as u64 * k as u64 * c as u64),
        output: Q,
        clamp: Clamp::FULL,
    })
}

/// A "same" depthwise conv of `k` x `k` on `c` channels.
pub fn depthwise(k: u32, c: u32) -> QLayer {
    QLayer::DepthwiseConv2d(DepthwiseConv2d {
        channels: c,
        kernel: [k, k],
        stride: 1,
        padding: Padding::Same,
        activation: Activation::None,
        per_channel: per_channel(c),
        weights: weights(k as u64 * k as u64 * c as u64),
        output: Q,
        clamp: Clamp::FULL,
    })
}

/// A dense layer of `units` on `inputs`.
pub fn dense(units: u32, inputs: u32) -> QLayer {
    QLayer::FullyConnected(FullyConnected {
        units,
        inputs,
        activation: Activation::None,
        weight_scale: W_SCALE,
        bias: vec![0; units as usize],
        weights: weights(units as u64 * inputs as u64),
        output: Q,
        clamp: Clamp::FULL,
    })
}

/// A model on `input` with `n` nodes applying `op` to `reads` (tensor ids), then the logits on
/// the input's mean, through `extra_dense` more dense weights (after a 1024-wide layer) when
/// not 0: those raise the budget as a large file's weights do.
pub fn with_nodes(input: [u32; 3], op: &QLayer, reads: &[usize], n: usize, extra_dense: u32) -> QuantModel {
    let mut m = QuantModel {
        rounding: Rounding::DoubleRounding,
        input_shape: input,
        input_quant: Q,
        input_norm: InputNorm::unit(input[2]),
        nodes: Vec::new(),
    };
    for i in 0..n {
        m.nodes.push(QNode { name: format!("n{i}"), inputs: reads.to_vec(), op: op.clone() });
    }
    let mut t = 0;
    if input[0] * input[1] > 1 {
        m.nodes.push(QNode { name: "mean".into(), inputs: vec![0], op: QLayer::Mean(Mean { output: Q }) });
        t = n + 1;
    }
    let c = input[2];
    if extra_dense > 0 {
        m.nodes.push(QNode { name: "wide".into(), inputs: vec![t], op: dense(1024, c) });
        let w = m.nodes.len();
        m.nodes.push(QNode { name: "big".into(), inputs: vec![w], op: dense(extra_dense / 1024, 1024) });
        m.nodes.push(QNode { name: "logits".into(), inputs: vec![w + 1], op: dense(1, extra_dense / 1024) });
    } else {
        m.nodes.push(QNode { name: "logits".into(), inputs: vec![t], op: dense(1, c) });
    }
    m
}

/// The most nodes of `op` a `with_nodes` model admits under `limits` (0 when none fits).
pub fn most_nodes(
    input: [u32; 3],
    op: &QLayer,
    reads: &[usize],
    extra_dense: u32,
    limits: &InterpreterLimits,
) -> usize {
    let fits = |n: usize| crate::validate::validate(&with_nodes(input, op, reads, n, extra_dense), limits).is_ok();
    if !fits(1) {
        return 0;
    }
    let most = crate::limits::MAX_LAYERS - 4;
    let (mut lo, mut hi) = (1usize, 2usize);
    while hi < most && fits(hi) {
        lo = hi;
        hi = (hi * 2).min(most);
    }
    if fits(hi) {
        return hi;
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid) {
            lo = mid
        } else {
            hi = mid
        }
    }
    lo
}

/// The op kinds and shapes: (what, input shape, op, the tensors each node reads).
pub fn cases() -> Vec<(&'static str, [u32; 3], QLayer, Vec<usize>)> {
    let add = QLayer::Add(Add { activation: Activation::None, output: Q, clamp: Clamp::FULL });
    vec![
        ("conv 1x1, 1 -> 1 channel", [1024, 1024, 1], conv(1, 1, 1, 1), vec![0]),
        ("conv 3x3, 1 -> 64 channels", [256, 256, 1], conv(64, 3, 1, 1), vec![0]),
        ("conv 3x3, 64 -> 64 channels", [64, 64, 64], conv(64, 3, 64, 1), vec![0]),
        ("conv 7x7 stride 2, 3 -> 16", [512, 512, 3], conv(16, 7, 3, 2), vec![0]),
        ("depthwise 1x1, 64 channels", [256, 256, 64], depthwise(1, 64), vec![0]),
        ("depthwise 3x3, 64 channels", [256, 256, 64], depthwise(3, 64), vec![0]),
        ("depthwise 7x7, 3 channels", [512, 512, 3], depthwise(7, 3), vec![0]),
        (
            "max pool 1x1",
            [1024, 1024, 4],
            QLayer::MaxPool(MaxPool { size: 1, stride: 1, padding: Padding::Valid }),
            vec![0],
        ),
        (
            "max pool 3x3",
            [512, 512, 4],
            QLayer::MaxPool(MaxPool { size: 3, stride: 1, padding: Padding::Valid }),
            vec![0],
        ),
        (
            "max pool 64x64",
            [64, 64, 1024],
            QLayer::MaxPool(MaxPool { size: 64, stride: 1, padding: Padding::Valid }),
            vec![0],
        ),
        (
            "average pool 1x1",
            [1024, 1024, 4],
            QLayer::AvgPool(AvgPool { size: 1, stride: 1, padding: Padding::Valid }),
            vec![0],
        ),
        (
            "average pool 3x3 same",
            [512, 512, 4],
            QLayer::AvgPool(AvgPool { size: 3, stride: 1, padding: Padding::Same }),
            vec![0],
        ),
        (
            "average pool 64x64 same on 28x28",
            [28, 28, 64],
            QLayer::AvgPool(AvgPool { size: 64, stride: 1, padding: Padding::Same }),
            vec![0],
        ),
        ("mean", [1024, 1024, 16], QLayer::Mean(Mean { output: Q }), vec![0]),
        ("add", [1024, 1024, 4], add, vec![0, 0]),
        ("concat of 64, 1 channel each", [512, 512, 1], QLayer::Concat(Concat), vec![0; 64]),
        ("concat of 2, 1024 channels each", [64, 64, 1024], QLayer::Concat(Concat), vec![0; 2]),
        ("reshape", [1024, 1024, 16], QLayer::Flatten(Flatten), vec![0]),
    ]
}
