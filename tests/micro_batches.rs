//! A step split into micro-batches (`PlanOptions::micro_batches`) against the same step unsplit:
//! from the same parameters, one step leaves the same weights, biases, Adam moments and ranges
//! (within float summation's tolerance, the gradients being summed in another order). Batch
//! norm's statistics are per micro-batch, so where batch norm trains, the micro-batches repeat
//! the same images (then each micro-batch's statistics are the whole batch's) and its moving
//! statistics, updated once per micro-batch, are left out. The trainer splits a batch only when
//! it must, into the fewest micro-batches that fit.

mod common;

use common::architectures::mobilenet_v2;
use qat_int8::model::InputNorm;
use wgpu_qat::gpu::Gpu;
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::ops::gather::GpuDataset;
use wgpu_qat::train::network::{Network, WeightQuant};
use wgpu_qat::train::plan::Plan;
use wgpu_qat::train::preflight::micro_batches;
use wgpu_qat::train::record::PlanOptions;

/// Every state buffer after one step of `opts` over the samples `order` names, with the loss sum.
fn one_step(gpu: &Gpu, spec: &ModelSpec, opts: PlanOptions, order: &[u32]) -> (Vec<(String, Vec<f32>)>, f32) {
    let net = Network::init(gpu, spec, 3, WeightQuant::PerChannel).unwrap();
    let pixels = spec.input.iter().product::<u32>() as usize;
    let split = common::synthetic_split(16, pixels, 7);
    let data = GpuDataset::upload(gpu, &split.images, &split.labels, spec.input, &InputNorm::unit(spec.input[2]));
    let plan = Plan::build(gpu, &net, &data, order.len(), opts).unwrap();
    gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(order));
    plan.run(gpu, 0, 1, 1e-3, 1).unwrap();
    let totals = plan.take_totals(gpu).unwrap();
    let state = net
        .state_buffers()
        .into_iter()
        .map(|(name, b)| {
            let len = (b.size() / 4) as usize;
            (name, gpu.read::<f32>(b, len).unwrap())
        })
        .collect();
    (state, totals.loss_sum)
}

fn assert_same_step(what: &str, spec: &ModelSpec, opts: PlanOptions, order: &[u32], skip: &str) {
    let Some(gpu) = common::gpu() else { return };
    let (whole, loss) = one_step(gpu, spec, opts, order);
    for micro in [2, 4] {
        let (split, split_loss) = one_step(gpu, spec, PlanOptions { micro_batches: micro, ..opts }, order);
        let mut compared = 0;
        for ((name, a), (_, b)) in split.iter().zip(&whole).filter(|((n, _), _)| skip.is_empty() || !n.contains(skip)) {
            common::assert_close(&format!("{what}, {micro} micro-batches: {name}"), a, b, 2e-5);
            compared += a.len();
        }
        assert!(compared > 1000, "{what}: only {compared} values compared");
        assert!((split_loss - loss).abs() <= 1e-4 * loss.abs(), "{what}: loss {split_loss} split, {loss} whole");
    }
}

#[test]
fn a_split_float_step_equals_the_whole_step() {
    let order: Vec<u32> = (0..16).rev().collect();
    assert_same_step("mnist-cnn, float", &ModelSpec::mnist_cnn(), PlanOptions::training(8, false), &order, "");
}

#[test]
fn a_split_qat_step_of_repeated_micro_batches_equals_the_whole_step() {
    // QAT observes ranges per micro-batch: with each micro-batch the same images, they are the
    // whole batch's ranges.
    let order: Vec<u32> = (0..16).map(|i| 5 + i % 2).collect();
    assert_same_step("mnist-cnn, QAT", &ModelSpec::mnist_cnn(), PlanOptions::training(8, true), &order, "");
}

#[test]
fn a_split_batch_norm_step_of_repeated_micro_batches_equals_the_whole_step() {
    let order: Vec<u32> = (0..16).map(|i| 3 + i % 2).collect();
    let spec = ModelSpec::builtin("mnist-dwbn").unwrap();
    assert_same_step("mnist-dwbn, float", &spec, PlanOptions::training(8, false), &order, ".bn.moving");
}

#[test]
fn the_fewest_micro_batches_that_fit_are_chosen() {
    // GPU-free: the split follows the binding limit. MobileNetV2 at 224 x 224 needs 154 MB for
    // its largest activation at batch 32, over the default 128 MiB binding limit.
    let spec = mobilenet_v2([224, 224, 3], 10);
    let limits = wgpu::Limits::default();
    assert_eq!(micro_batches(&limits, &spec, 32).unwrap(), 2);
    assert_eq!(micro_batches(&limits, &spec, 16).unwrap(), 1);
    // 12 images fit a 64 MiB binding but not 16: a batch of 32 is four micro-batches of 8.
    let small = wgpu::Limits { max_storage_buffer_binding_size: 64 << 20, ..wgpu::Limits::default() };
    assert_eq!(micro_batches(&small, &spec, 32).unwrap(), 4);
    // A prime batch splits into single images.
    assert_eq!(micro_batches(&small, &spec, 31).unwrap(), 31);
    // Nothing fits one image: refused, naming the layer.
    let tiny = wgpu::Limits { max_storage_buffer_binding_size: 1 << 20, ..wgpu::Limits::default() };
    let e = micro_batches(&tiny, &spec, 32).unwrap_err().to_string();
    assert!(e.contains("layer 0") && e.contains("max_storage_buffer_binding_size"), "{e}");
}
