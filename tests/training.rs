//! End to end on a subset of MNIST (GPU + data; each skips with a message when absent):
//! training learns, the int8 export agrees with the GPU fake-quant forward, the file round-trips
//! and verifies, and a diverging run is stopped with a clear error.

mod common;

use common::{gpu, mnist};
use qat_int8::format::{read, write};
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::ops::adam::AdamConfig;
use wgpu_qat::quantize::verify::{compare, int8_logits, verify_model};
use wgpu_qat::quantize::{export::TrainedState, quantize};
use wgpu_qat::train::{trainer::test_split, trainer::train, trainer::TrainConfig};
use wgpu_qat::QatError;

fn small(train_limit: usize) -> TrainConfig {
    TrainConfig {
        train_limit: Some(train_limit),
        test_limit: Some(1000),
        progress: false,
        report_every: 20,
        ..TrainConfig::default()
    }
}

#[test]
fn short_qat_run_learns_and_int8_agrees() {
    let (Some(gpu), Some(data)) = (gpu(), mnist()) else { return };
    let cfg = small(4000);
    let (net, report) = train(gpu, &ModelSpec::mnist_cnn(), data, &cfg).unwrap();
    assert_eq!(report.train_samples, 3600);
    assert_eq!(report.val_samples, 400);
    assert!(report.float_test_acc > 0.8, "float accuracy {}", report.float_test_acc);
    let qat = report.qat_test.as_ref().unwrap();
    assert!(qat.accuracy > 0.8, "QAT accuracy {}", qat.accuracy);
    assert!(report.float.images_per_sec > 0.0 && report.qat.images_per_sec > 0.0);

    let model = quantize(&TrainedState::read(gpu, &net, 8).unwrap()).unwrap();
    let test = test_split(data, cfg.test_limit);
    let int8 = int8_logits(&model, &test).unwrap();
    let a = compare(&qat.logits, &int8, 10, model.logits_quant(), &test.labels);
    assert!(a.top1_agreement >= 0.99, "{a:?}");
    assert!((a.int8_acc - qat.accuracy).abs() <= 0.01, "{a:?} vs {}", qat.accuracy);
    assert!(a.max_logit_diff_lsb <= 2, "{a:?}");

    let path = std::env::temp_dir().join(format!("qat-e2e-{}.qat", std::process::id()));
    write(&model, &path).unwrap();
    let back = read(&path).unwrap();
    assert_eq!(back, model);
    let v = verify_model(gpu, &back, &test, 250).unwrap();
    assert!(v.top1_agreement >= 0.99, "{v:?}");
    assert_eq!(v.int8_acc, a.int8_acc);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn diverging_training_is_stopped_at_the_step_it_starts() {
    let (Some(gpu), Some(data)) = (gpu(), mnist()) else { return };
    // 1e30 overflows at once; 1e6 and 30 explode without ever being NaN at first.
    for lr in [1e30, 1e6, 30.0] {
        let mut cfg = small(1000);
        cfg.adam = AdamConfig { lr, ..AdamConfig::default() };
        cfg.schedule = wgpu_qat::train::schedule::LrSchedule::Constant;
        match train(gpu, &ModelSpec::mnist_cnn(), data, &cfg) {
            Err(e @ QatError::Diverged { step, .. }) => {
                let text = e.to_string();
                assert!(text.contains(&format!("at step {step} ")) && text.contains("lower learning rate"), "{text}");
                // One report interval at most, and never the first step (the loss there is
                // that of the initial weights).
                assert!((2..=cfg.report_every).contains(&step), "lr {lr}: {text}");
            }
            Err(e) => panic!("lr {lr}: unexpected error {e}"),
            Ok(_) => panic!("a learning rate of {lr} should diverge"),
        }
    }
}

/// Trains `spec` briefly and checks learning and int8 agreement; returns (QAT acc, agreement).
fn train_and_compare(spec: &ModelSpec, cfg: &TrainConfig) -> Option<(f64, f64)> {
    let (Some(gpu), Some(data)) = (gpu(), mnist()) else { return None };
    let (net, report) = train(gpu, spec, data, cfg).unwrap();
    let qat = report.qat_test.as_ref().unwrap();
    let model = quantize(&TrainedState::read(gpu, &net, 8).unwrap()).unwrap();
    let test = test_split(data, cfg.test_limit);
    let a = compare(&qat.logits, &int8_logits(&model, &test).unwrap(), 10, model.logits_quant(), &test.labels);
    let v = verify_model(gpu, &model, &test, 100).unwrap();
    assert!(v.top1_agreement >= 0.97, "{}: verify from the int8 model: {v:?}", spec.name);
    Some((qat.accuracy, a.top1_agreement))
}

#[test]
fn mobilenet_and_residual_models_learn_and_int8_agrees() {
    for (name, bn_freeze) in [("mnist-dwbn", Some(60)), ("mnist-resnet", None)] {
        let spec = ModelSpec::builtin(name).unwrap();
        let cfg = TrainConfig { test_limit: Some(300), bn_freeze, ..small(2000) };
        let Some((acc, agreement)) = train_and_compare(&spec, &cfg) else { return };
        assert!(acc > 0.5, "{name}: QAT accuracy {acc} after a short run");
        assert!(agreement >= 0.98, "{name}: top-1 agreement {agreement}");
    }
}

#[test]
fn per_tensor_weights_train_end_to_end() {
    let cfg = TrainConfig {
        weight_quant: wgpu_qat::train::network::WeightQuant::PerTensor,
        test_limit: Some(300),
        ..small(2000)
    };
    let Some((acc, agreement)) = train_and_compare(&ModelSpec::mnist_cnn(), &cfg) else { return };
    assert!(acc > 0.7, "per-tensor QAT accuracy {acc}");
    assert!(agreement >= 0.98, "per-tensor agreement {agreement}");
}

/// A conv channel whose weights have collapsed (about 1e-10) beside a bias of 0.5: at its own
/// scale the int32 bias would be far outside int32. One QAT step (learning rate 0) widens its
/// weight range on the GPU exactly as the export widens the scale it writes, so the fake quant
/// trains against the weights the int8 model holds. GPU only (synthetic images).
#[test]
fn qat_widens_a_collapsed_channels_weight_range_as_the_export_does() {
    use wgpu_qat::ops::gather::GpuDataset;
    use wgpu_qat::train::network::Network;
    use wgpu_qat::train::network::WeightQuant;
    use wgpu_qat::train::plan::Plan;
    use wgpu_qat::train::record::PlanOptions;
    let Some(gpu) = gpu() else { return };
    let spec = ModelSpec::mnist_cnn();
    let mut params = common::cnn_state(5).params;
    let channel = 7;
    for (i, w) in params[0].weight.iter_mut().enumerate() {
        if i / 9 == channel {
            *w *= 1e-9;
        }
    }
    params[0].bias[channel] = 0.5;
    for weights in [WeightQuant::PerChannel, WeightQuant::PerTensor] {
        let net = Network::with_params(gpu, &spec, &params, weights).unwrap();
        let split = common::synthetic_split(64, 784, 9);
        let data =
            GpuDataset::upload(gpu, &split.images, &split.labels, spec.input, &qat_int8::model::InputNorm::unit(1));
        let mut opts = PlanOptions::training(32, true);
        opts.adam.lr = 0.0;
        let plan = Plan::build(gpu, &net, &data, split.count, opts).unwrap();
        gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(&(0..64u32).collect::<Vec<_>>()));
        plan.run(gpu, 0, 1, 0.0, 1).unwrap();
        let ranges: Vec<f32> = gpu.read(&net.params[0].weight_range, 2 * net.params[0].range_channels).unwrap();
        let model = quantize(&TrainedState::read(gpu, &net, 8).unwrap()).unwrap();
        let weight_scales = model.nodes[0].op.weight_scales();
        let r = if weights == WeightQuant::PerChannel { channel } else { 0 };
        let gpu_scale = ranges[2 * r + 1] / 127.0;
        let exported = weight_scales[channel];
        assert!(exported > 1e-8, "{weights:?}: the export did not widen the scale ({exported})");
        assert!((gpu_scale - exported).abs() <= 1e-5 * exported, "{weights:?}: QAT {gpu_scale}, export {exported}");
        // And the model is valid: the widened bias fits the accumulator.
        qat_int8::format::to_bytes(&model).unwrap();
    }
}
