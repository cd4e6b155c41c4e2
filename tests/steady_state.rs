//! The recorded training step in steady state (GPU; skips with a message when no adapter
//! exists): each step is exactly one submit and creates no buffer, for a plain CNN and for a
//! model with depthwise convs, batch norm, Add and Concat, float and QAT. Each case opens its
//! own device, so the counts are its own.

mod common;

use common::{gpu, synthetic_split};
use wgpu_qat::gpu::{AdapterChoice, Gpu};
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::ops::gather::GpuDataset;
use wgpu_qat::train::network::Network;
use wgpu_qat::train::network::WeightQuant;
use wgpu_qat::train::plan::Plan;
use wgpu_qat::train::record::PlanOptions;

#[test]
fn a_steady_state_step_is_one_submit_and_allocates_nothing() {
    if gpu().is_none() {
        return;
    }
    let gpu = Gpu::new(&AdapterChoice::default()).unwrap();
    for spec in [ModelSpec::mnist_cnn(), ModelSpec::builtin("mnist-resnet").unwrap()] {
        for qat in [false, true] {
            let (batch, samples) = (16u32, 64usize);
            let norm = qat_int8::model::InputNorm::unit(1);
            let split = synthetic_split(samples, 784, 5);
            let data = GpuDataset::upload(&gpu, &split.images, &split.labels, spec.input, &norm);
            let net = Network::init(&gpu, &spec, 1, WeightQuant::PerChannel).unwrap();
            let plan = Plan::build(&gpu, &net, &data, samples, PlanOptions::training(batch, qat)).unwrap();
            let order: Vec<u32> = (0..samples as u32).collect();
            gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(&order));
            // First step and first readback: pipelines and the readback buffer are made here.
            plan.run(&gpu, 0, 1, 1e-3, 1).unwrap();
            plan.take_totals(&gpu).unwrap();
            let before = gpu.counts();
            let steps = 12u32;
            for s in 0..steps {
                plan.run(&gpu, (s % 4) * batch, s + 2, 1e-3, s + 2).unwrap();
            }
            let totals = plan.take_totals(&gpu).unwrap();
            let after = gpu.counts();
            let case = format!("{} qat={qat}", spec.name);
            // The steps ran: every sample of every step was counted, with no health problem.
            assert_eq!(totals.samples, (steps * batch) as f32, "{case}");
            assert_eq!(totals.health, Default::default(), "{case}");
            // One submit per step, plus the one of the readback.
            assert_eq!(after.submits - before.submits, steps as u64 + 1, "{case}");
            assert_eq!(after.buffers, before.buffers, "{case}: buffers created in steady state");
        }
    }
}
