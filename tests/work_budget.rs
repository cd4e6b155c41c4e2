//! GPU-free: the work budget of docs/FORMAT.md ("Work budget"). Every crafted model that spends
//! the whole default budget on one op kind (`qat_int8::worst_case`) is admitted and one node
//! more is refused; the report's 8.5 KB file (two 64-way concats, then a 64x64 average pool) is
//! refused; the real architectures that the following issues bring, ResNet-50 and MobileNetV2
//! at 224 x 224, are admitted, with a figure of their work.

use qat_int8::limits::InterpreterLimits;
use qat_int8::ops::{avg_pool::AvgPool, concat::Concat, mean::Mean, QLayer};
use qat_int8::shape::Padding;
use qat_int8::worst_case::{cases, dense, most_nodes, with_nodes};

mod common;
use common::architectures::{mobilenet_v2, resnet};

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
    let mut m = with_nodes([28, 28, 64], &QLayer::Concat(Concat), &[0; 64], 0, 0);
    m.nodes = vec![
        add_free(vec![0; 64], "cat", QLayer::Concat(Concat)),
        add_free(vec![1], "pool", QLayer::AvgPool(AvgPool { size: 64, stride: 1, padding: Padding::Same })),
        add_free(vec![2], "mean", QLayer::Mean(Mean { output: m.input_quant })),
        add_free(vec![3], "logits", dense(1, 4096)),
    ];
    let e = qat_int8::format::to_bytes(&m).expect_err("over the budget").to_string();
    assert!(e.contains("work units") && e.contains("more than the"), "{e}");
}

#[test]
fn resnet50_and_mobilenet_v2_at_224_are_admitted() {
    for spec in [resnet(50, [224, 224, 3], 1000), mobilenet_v2([224, 224, 3], 1000)] {
        wgpu_qat::train::preflight::check_int8_budget(&spec).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        let mut shapes = vec![spec.input];
        shapes.extend(spec.shapes().unwrap());
        let ops: Vec<_> = spec.nodes.iter().map(|n| (n.layer.shape_op(), n.inputs.clone())).collect();
        let u = qat_int8::ops::usage(&shapes, &ops);
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
