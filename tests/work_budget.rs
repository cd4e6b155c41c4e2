//! GPU-free: the work budget of docs/FORMAT.md ("Work budget"). Every crafted model that spends
//! the whole default budget on one op kind (`qat_int8::worst_case`) is admitted and one node
//! more is refused; the report's 8.5 KB file (two 64-way concats, then a 64x64 average pool) is
//! refused; the real architectures that the following issues bring, ResNet-50 and MobileNetV2
//! at 224 x 224, are admitted, with a figure of their work.

use qat_int8::limits::InterpreterLimits;
use qat_int8::model::QLayer;
use qat_int8::shape::Padding;
use qat_int8::worst_case::{cases, dense, most_nodes, with_nodes};
use wgpu_qat::layers::{Add, Conv2d, Dense, DepthwiseConv2d, GlobalAvgPool, Layer, MaxPool};
use wgpu_qat::model::{ModelSpec, Node};
use wgpu_qat::qat_int8::quant::clamp::Activation;

#[test]
fn every_op_kind_fills_the_budget_exactly_and_no_further() {
    let limits = InterpreterLimits::default();
    for extra in [0u32, 1 << 20] {
        for (name, input, op, reads) in cases() {
            let n = most_nodes(input, &op, &reads, extra, &limits);
            assert!((1..4000).contains(&n), "{name}: {n} nodes");
            let admitted = qat_int8::validate::validate(&with_nodes(input, &op, &reads, n, extra), &limits)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let allowed = limits.work(admitted.usage.cost.parameter_bytes);
            assert!(admitted.usage.cost.work <= allowed, "{name}");
            let e = qat_int8::validate::validate(&with_nodes(input, &op, &reads, n + 1, extra), &limits)
                .expect_err(name)
                .to_string();
            assert!(e.contains("work units") && e.contains("QAT_MAX_MODEL_WORK"), "{name}: {e}");
        }
    }
}

#[test]
fn the_reported_concat_and_pool_file_is_refused_before_it_runs() {
    let add_free =
        |inputs: Vec<usize>, name: &str, op: QLayer| qat_int8::model::QNode { name: name.into(), inputs, op };
    let mut m = with_nodes([28, 28, 64], &QLayer::Concat, &[0; 64], 0, 0);
    m.nodes = vec![
        add_free(vec![0; 64], "cat", QLayer::Concat),
        add_free(vec![1], "pool", QLayer::AvgPool { size: 64, stride: 1, padding: Padding::Same }),
        add_free(vec![2], "mean", QLayer::Mean { output: m.input_quant }),
        add_free(vec![3], "logits", dense(1, 4096)),
    ];
    let e = qat_int8::format::to_bytes(&m).expect_err("over the budget").to_string();
    assert!(e.contains("work units") && e.contains("more than the"), "{e}");
}

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

/// ResNet-50 for 224 x 224 x 3 images and 1000 classes (bottleneck blocks 3, 4, 6, 3).
fn resnet50() -> ModelSpec {
    let mut n = Vec::new();
    let mut x = push(&mut n, conv(64, 7, 2, true), vec![0]);
    x = push(&mut n, Layer::MaxPool(MaxPool { size: 3, stride: 2 }), vec![x]);
    for (stage, (blocks, width)) in [(3, 64), (4, 128), (6, 256), (3, 512)].into_iter().enumerate() {
        for b in 0..blocks {
            let stride = if b == 0 && stage > 0 { 2 } else { 1 };
            let shortcut = if b == 0 { push(&mut n, conv(4 * width, 1, stride, false), vec![x]) } else { x };
            let mut y = push(&mut n, conv(width, 1, 1, true), vec![x]);
            y = push(&mut n, conv(width, 3, stride, true), vec![y]);
            y = push(&mut n, conv(4 * width, 1, 1, false), vec![y]);
            x = push(&mut n, Layer::Add(Add { activation: Activation::Relu }), vec![y, shortcut]);
        }
    }
    x = push(&mut n, Layer::GlobalAvgPool(GlobalAvgPool), vec![x]);
    push(&mut n, Layer::Dense(Dense { units: 1000, activation: Activation::None }), vec![x]);
    ModelSpec { name: "resnet50".into(), input: [224, 224, 3], nodes: n }
}

/// MobileNetV2 (width 1.0) for 224 x 224 x 3 images and 1000 classes.
fn mobilenet_v2() -> ModelSpec {
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
    push(&mut n, Layer::Dense(Dense { units: 1000, activation: Activation::None }), vec![x]);
    ModelSpec { name: "mobilenet_v2".into(), input: [224, 224, 3], nodes: n }
}

#[test]
fn resnet50_and_mobilenet_v2_at_224_are_admitted() {
    for spec in [resnet50(), mobilenet_v2()] {
        wgpu_qat::train::preflight::check_int8_budget(&spec).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        let mut shapes = vec![spec.input];
        shapes.extend(spec.shapes().unwrap());
        let ops: Vec<_> = spec.nodes.iter().map(|n| (n.layer.shape_op(), n.inputs.clone())).collect();
        let u = qat_int8::work::usage(&shapes, &ops);
        let limits = InterpreterLimits::default();
        eprintln!(
            "{}: {} parameter bytes, {} work units of {} allowed, peak {} bytes",
            spec.name,
            u.cost.parameter_bytes,
            u.cost.work,
            limits.work(u.cost.parameter_bytes),
            u.peak_bytes
        );
        assert!(u.cost.work <= limits.work(u.cost.parameter_bytes) && u.peak_bytes <= limits.peak_bytes);
    }
}
