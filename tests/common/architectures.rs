//! Real architectures as specs, built in code for tests that need their shapes and sizes
//! (the work budget, the GPU preflight): ResNet-18 and -50 and MobileNetV2.

use qat_int8::quant::clamp::Activation;
use qat_int8::shape::{Padding, Pads};
use wgpu_qat::model::kinds::{
    add::Add, conv2d::Conv2d, dense::Dense, depthwise_conv2d::DepthwiseConv2d, global_avg_pool::GlobalAvgPool,
    max_pool::MaxPool, Layer,
};
use wgpu_qat::model::{spec::ModelSpec, spec::Node};

fn conv(filters: u32, k: u32, stride: u32, act: bool) -> Layer {
    Layer::Conv2d(Conv2d {
        filters,
        kernel: [k, k],
        stride,
        padding: Padding::Same,
        batch_norm: true,
        activation: if act { Activation::Relu } else { Activation::None },
    })
}

/// Appends `layer` reading `inputs`; returns its tensor id.
fn push(nodes: &mut Vec<Node>, layer: Layer, inputs: Vec<usize>) -> usize {
    nodes.push(Node { name: format!("n{}", nodes.len()), layer, inputs });
    nodes.len()
}

/// ResNet-18 (basic blocks 2, 2, 2, 2) or ResNet-50 (bottleneck blocks 3, 4, 6, 3), as
/// torchvision builds them but with "same" padding and a valid 3x3 max pool, on `input` images
/// with `classes` outputs.
pub fn resnet(depth: u32, input: [u32; 3], classes: u32) -> ModelSpec {
    let (blocks, bottleneck) = match depth {
        18 => ([2, 2, 2, 2], false),
        _ => ([3, 4, 6, 3], true),
    };
    let expansion = if bottleneck { 4 } else { 1 };
    let mut n = Vec::new();
    let mut x = push(&mut n, conv(64, 7, 2, true), vec![0]);
    x = push(
        &mut n,
        Layer::MaxPool(MaxPool {
            size: 3,
            stride: 2,
            padding: Padding::Explicit(Pads { top: 1, bottom: 1, left: 1, right: 1 }),
        }),
        vec![x],
    );
    let mut channels = 64;
    for (stage, (count, width)) in blocks.into_iter().zip([64, 128, 256, 512]).enumerate() {
        for b in 0..count {
            let stride = if b == 0 && stage > 0 { 2 } else { 1 };
            let out = expansion * width;
            let shortcut =
                if stride != 1 || channels != out { push(&mut n, conv(out, 1, stride, false), vec![x]) } else { x };
            let mut y = x;
            if bottleneck {
                y = push(&mut n, conv(width, 1, 1, true), vec![y]);
                y = push(&mut n, conv(width, 3, stride, true), vec![y]);
            } else {
                y = push(&mut n, conv(width, 3, stride, true), vec![y]);
            }
            y = push(&mut n, conv(out, if bottleneck { 1 } else { 3 }, 1, false), vec![y]);
            x = push(&mut n, Layer::Add(Add { activation: Activation::Relu }), vec![y, shortcut]);
            channels = out;
        }
    }
    x = push(&mut n, Layer::GlobalAvgPool(GlobalAvgPool), vec![x]);
    push(&mut n, Layer::Dense(Dense { units: classes, activation: Activation::None }), vec![x]);
    ModelSpec { name: format!("resnet{depth}"), input, nodes: n }
}

/// MobileNetV2 (width 1.0) on `input` images with `classes` outputs.
pub fn mobilenet_v2(input: [u32; 3], classes: u32) -> ModelSpec {
    let relu6 = |l: Layer| match l {
        Layer::Conv2d(c) => Layer::Conv2d(Conv2d { activation: Activation::Relu6, ..c }),
        other => other,
    };
    let dw = |stride| {
        Layer::DepthwiseConv2d(DepthwiseConv2d {
            kernel: [3, 3],
            stride,
            padding: Padding::Same,
            batch_norm: true,
            activation: Activation::Relu6,
        })
    };
    let mut n = Vec::new();
    let mut x = push(&mut n, relu6(conv(32, 3, 2, true)), vec![0]);
    let mut c = 32;
    for (t, out, repeat, s) in
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    {
        for r in 0..repeat {
            let stride = if r == 0 { s } else { 1 };
            let mut y = x;
            if t > 1 {
                y = push(&mut n, relu6(conv(c * t, 1, 1, true)), vec![y]);
            }
            y = push(&mut n, dw(stride), vec![y]);
            y = push(&mut n, conv(out, 1, 1, false), vec![y]);
            x = if stride == 1 && c == out {
                push(&mut n, Layer::Add(Add { activation: Activation::None }), vec![y, x])
            } else {
                y
            };
            c = out;
        }
    }
    x = push(&mut n, relu6(conv(1280, 1, 1, true)), vec![x]);
    x = push(&mut n, Layer::GlobalAvgPool(GlobalAvgPool), vec![x]);
    push(&mut n, Layer::Dense(Dense { units: classes, activation: Activation::None }), vec![x]);
    ModelSpec { name: "mobilenet_v2".into(), input, nodes: n }
}
