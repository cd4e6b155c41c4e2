//! The check before the first step (`train::preflight::check_step_buffers`): every buffer of a
//! recorded step is sized against the adapter's binding limit without being made. ResNet-18 at
//! 224 x 224 and batch 32, whose weight gradient once asked for a 604 MB partial-sum buffer in
//! the middle of training, fits every buffer of its float and QAT steps; against an adapter
//! with a small limit, the refusal names the layer and the buffer, and nothing large is made.

mod common;

use common::architectures::{mobilenet_v2, resnet};
use qat_int8::model::InputNorm;
use wgpu_qat::gpu::{AdapterChoice, Gpu};
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::ops::gather::GpuDataset;
use wgpu_qat::train::network::Network;
use wgpu_qat::train::network::WeightQuant;
use wgpu_qat::train::preflight::check_step_buffers;
use wgpu_qat::train::record::PlanOptions;

fn steps(batch: u32) -> [PlanOptions; 2] {
    [PlanOptions::training(batch, false), PlanOptions::training(batch, true)]
}

fn sized(gpu: &Gpu, spec: &ModelSpec, batch: u32) -> wgpu_qat::Result<u64> {
    let net = Network::init(gpu, spec, 1, WeightQuant::PerChannel)?;
    let pixels = spec.input.iter().product::<u32>() as usize;
    let split = common::synthetic_split(batch as usize, pixels, 3);
    let data = GpuDataset::upload(gpu, &split.images, &split.labels, spec.input, &InputNorm::unit(spec.input[2]));
    check_step_buffers(gpu, &net, &data, split.count, &steps(batch))
}

#[test]
fn resnet18_at_224_and_batch_32_fits_every_buffer_of_its_steps() {
    let Some(gpu) = common::gpu() else { return };
    let spec = resnet(18, [224, 224, 3], 10);
    let before = gpu.counts();
    let bytes = sized(gpu, &spec, 32).unwrap();
    let made = gpu.counts().buffer_bytes - before.buffer_bytes;
    eprintln!("ResNet-18 at 224 x 224, batch 32: the larger step's buffers take {bytes} bytes; {made} bytes were made");
    assert!(bytes > 1 << 30, "{bytes}");
    // The network and the data are made; the steps' buffers are not.
    let network_and_data = 4 * 5 * 11_700_000 + 64 * 224 * 224 * 3 + (64 << 20);
    assert!(made < network_and_data, "{made} bytes made");
}

#[test]
fn a_buffer_over_the_adapters_limit_is_refused_by_layer_before_any_step() {
    if common::gpu().is_none() {
        return;
    }
    // A second device whose binding limit is 16 MiB: the weights, the images and the batch fit, the first layer's
    // activations at batch 16 (16 x 112 x 112 x 32 x 4 bytes) do not.
    let mut small = Gpu::new(&AdapterChoice::default()).unwrap();
    small.limits.max_storage_buffer_binding_size = 16 << 20;
    let spec = mobilenet_v2([224, 224, 3], 10);
    let before = small.counts();
    let e = sized(&small, &spec, 16).unwrap_err().to_string();
    let named = e.contains("layer 0 \"n0\" (conv2d), forward") && e.contains("needs");
    assert!(named && e.contains("max_storage_buffer_binding_size") && e.contains("smaller --batch"), "{e}");
    assert!(small.counts().buffer_bytes - before.buffer_bytes < 64 << 20, "large buffers were made");
    // A layer whose weights alone do not fit is named as the network is made.
    small.limits.max_storage_buffer_binding_size = 1 << 20;
    let e = sized(&small, &spec, 1).unwrap_err().to_string();
    assert!(e.contains("parameters") && e.contains("(conv2d)") && e.contains("weight"), "{e}");
}
