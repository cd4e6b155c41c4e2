//! Trains mnist-cnn on 6,000 MNIST images (float epoch + QAT epoch), exports it, and compares the
//! int8 model with the fake-quant forward. `cargo run --release --example 02_train_subset`

use wgpu_qat::data::mnist;
use wgpu_qat::gpu::{AdapterChoice, Gpu};
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::quantize::verify::{compare, int8_logits};
use wgpu_qat::quantize::{export::TrainedState, quantize};
use wgpu_qat::train::{trainer::test_split, trainer::train, trainer::TrainConfig};

fn main() -> wgpu_qat::Result<()> {
    let gpu = Gpu::new(&AdapterChoice::default())?;
    println!("adapter: {}", gpu.describe());
    let data = mnist::load(&mnist::locate(None)?)?;
    let cfg = TrainConfig { train_limit: Some(6000), test_limit: Some(2000), ..TrainConfig::default() };
    let (net, report) = train(&gpu, &ModelSpec::mnist_cnn(), &data, &cfg)?;
    let model = quantize(&TrainedState::read(&gpu, &net, 8)?)?;
    let test = test_split(&data, cfg.test_limit);
    let qat = report.qat_test.as_ref().expect("one QAT epoch ran");
    let a = compare(&qat.logits, &int8_logits(&model, &test)?, 10, model.logits_quant(), &test.labels);
    println!(
        "float {:.4}  fake quant {:.4}  int8 {:.4}  top-1 agreement {:.4}",
        report.float_test_acc, qat.accuracy, a.int8_acc, a.top1_agreement
    );
    Ok(())
}
