//! The benchmark harness behind `qat bench --json`: for each model, batch size and mode (float
//! and QAT), the training step's time, images/s, achieved GFLOP/s, its ratio to the frozen
//! yardstick kernel (`benches/yardstick.wgsl`, measured in the same process) and the GPU memory
//! the step holds; optionally each kernel's share of a QAT step; and CPU int8 inference images/s.
//! Synthetic data: step time does not depend on pixel values.

use crate::data::dataset::Split;
use crate::data::rng::Rng;
use crate::gpu::{dispatch::Dispatch, Gpu};
use crate::model::placement::OutputQuant;
use crate::model::spec::ModelSpec;
use crate::ops::gather::GpuDataset;
use crate::quantize::{export::TrainedState, quantize};
use crate::train::network::Network;
use crate::train::plan::Plan;
use crate::train::record::PlanOptions;
use crate::Result;
use qat_int8::interpreter::run_batch;
use serde_json::json;
use std::time::Instant;

/// What `qat bench` measures.
pub struct BenchConfig {
    /// The models whose training steps are timed.
    pub models: Vec<ModelSpec>,
    /// Steps timed per configuration (after warm-up steps).
    pub steps: usize,
    /// Also time each kernel of each model's QAT step at the largest batch size.
    pub profile: bool,
    /// Batch sizes.
    pub batches: Vec<u32>,
}

/// m = n = k of the yardstick measurement.
pub const YARDSTICK_SIZE: u32 = 1024;

/// GFLOP/s of the frozen yardstick kernel on 1024 x 1024 x 1024: the best of `trials` timings of
/// `reps` dispatches in one submit, after a warm-up dispatch. (The best, so that a trial slowed
/// by the rest of the machine does not flatter the ratios measured against it.)
pub fn yardstick_gflops(gpu: &Gpu, reps: usize, trials: usize) -> Result<f64> {
    let n = YARDSTICK_SIZE;
    let mut rng = Rng::new(3);
    let len = (n * n) as usize;
    let a: Vec<f32> = (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let b: Vec<f32> = (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let (ba, bb, c) = (gpu.upload("yardstick a", &a), gpu.upload("yardstick b", &b), gpu.storage("yardstick c", len));
    let p = crate::ops::yardstick::YardstickParams { m: n, n, k: n, _pad: 0 };
    let grid = crate::gpu::dispatch::Grid(n / 256, n / 16, 1);
    let d: Vec<Dispatch> = (0..reps.max(1))
        .map(|_| Dispatch::new(gpu, &crate::ops::yardstick::MATMUL, &p, &[&ba, &bb, &c], grid))
        .collect::<Result<_>>()?;
    gpu.run(&d[..1])?;
    gpu.wait()?;
    let mut best = 0.0f64;
    for _ in 0..trials.max(1) {
        let t0 = Instant::now();
        gpu.run(&d)?;
        gpu.wait()?;
        best = best.max(2.0 * (n as f64).powi(3) * d.len() as f64 / t0.elapsed().as_secs_f64() / 1e9);
    }
    Ok(best)
}

/// One configuration's training step, timed.
#[derive(Debug, Clone, Copy)]
pub struct StepTiming {
    /// Seconds per step.
    pub secs: f64,
    /// Floating-point operations of the step's convolutions and matmuls.
    pub flops: u64,
    /// Bytes of the buffers the step holds: data set, parameters and optimizer state, and every
    /// buffer of the recorded step (nothing is allocated after it is recorded).
    pub gpu_bytes: u64,
}

/// Random samples of `pixels` bytes with labels below 10: the step time does not depend on
/// the values.
fn synthetic_split(count: usize, pixels: usize, seed: u64) -> Split {
    let mut rng = Rng::new(seed);
    Split {
        images: (0..count * pixels).map(|_| (rng.next_u64() & 0xff) as u8).collect(),
        labels: (0..count).map(|_| rng.below(10) as u8).collect(),
        count,
    }
}

/// A recorded training step of `spec` at `batch` over `samples` synthetic samples in order, with
/// the data set and network it reads (kept alive beside it).
fn recorded_step(
    gpu: &Gpu,
    spec: &ModelSpec,
    batch: u32,
    qat: bool,
    samples: usize,
) -> Result<(GpuDataset, Network, Plan)> {
    let pixels = spec.input.iter().product::<u32>() as usize;
    let norm = qat_int8::model::InputNorm::unit(spec.input[2]);
    let split = synthetic_split(samples, pixels, 7);
    let ds = GpuDataset::upload(gpu, &split.images, &split.labels, spec.input, &norm);
    let net = Network::init(gpu, spec, 1, crate::train::network::WeightQuant::PerChannel)?;
    let plan = Plan::build(gpu, &net, &ds, samples, PlanOptions::training(batch, qat))?;
    let order: Vec<u32> = (0..samples as u32).collect();
    gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(&order));
    Ok((ds, net, plan))
}

/// Trials of each timing: a step time is the best of this many timings of `steps` steps, and the
/// yardstick the best of this many before and as many after the steps (the same rule for both,
/// so that neither a slow trial of the yardstick nor one of a step moves the ratio).
pub const TRIALS: usize = 3;

/// Times replays of a training plan of `spec` at `batch`: the best of `trials` timings of
/// `steps` steps each.
pub fn time_train_step(
    gpu: &Gpu,
    spec: &ModelSpec,
    batch: u32,
    qat: bool,
    steps: usize,
    trials: usize,
) -> Result<StepTiming> {
    let before = gpu.counts();
    let (_ds, _net, plan) = recorded_step(gpu, spec, batch, qat, batch as usize * 4)?;
    let gpu_bytes = gpu.counts().buffer_bytes - before.buffer_bytes;
    let warmup = 3;
    for s in 0..warmup {
        plan.run(gpu, ((s % 4) * batch as usize) as u32, s as u32 + 1, 1e-3, s as u32 + 1)?;
    }
    gpu.wait()?;
    let mut best = f64::INFINITY;
    let mut step = warmup;
    for _ in 0..trials.max(1) {
        let t0 = Instant::now();
        for _ in 0..steps {
            plan.run(gpu, ((step % 4) * batch as usize) as u32, step as u32 + 1, 1e-3, step as u32 + 1)?;
            step += 1;
        }
        gpu.wait()?;
        best = best.min(t0.elapsed().as_secs_f64() / steps.max(1) as f64);
    }
    Ok(StepTiming { secs: best, flops: plan.flops_per_step, gpu_bytes })
}

/// (kernel, milliseconds per step, dispatches).
pub type KernelTime = (&'static str, f64, usize);

/// Time of each dispatch of one recorded training step, summed by kernel name, slowest first:
/// (kernel, milliseconds per step, dispatches), and how they were measured (`profile_dispatches`).
pub fn profile_step(
    gpu: &Gpu,
    spec: &ModelSpec,
    batch: u32,
    qat: bool,
    reps: usize,
) -> Result<(Vec<KernelTime>, &'static str)> {
    let (_ds, _net, plan) = recorded_step(gpu, spec, batch, qat, batch as usize)?;
    plan.run(gpu, 0, 1, 1e-3, 1)?;
    gpu.wait()?;
    profile_dispatches(gpu, &plan.dispatches, reps)
}

/// Time of each of `dispatches` (already run once), summed by kernel name, slowest first, and
/// how they were measured (`time_dispatches`).
pub fn profile_dispatches(gpu: &Gpu, dispatches: &[Dispatch], reps: usize) -> Result<(Vec<KernelTime>, &'static str)> {
    let (times, method) = time_dispatches(gpu, dispatches, reps)?;
    Ok((by_kernel(dispatches, &times), method))
}

/// The times of `dispatches` summed by kernel name, slowest first.
fn by_kernel(dispatches: &[Dispatch], times: &[f64]) -> Vec<KernelTime> {
    let mut sums: Vec<KernelTime> = Vec::new();
    for (d, &ms) in dispatches.iter().zip(times) {
        match sums.iter_mut().find(|(k, _, _)| *k == d.label) {
            Some(e) => {
                e.1 += ms;
                e.2 += 1;
            }
            None => sums.push((d.label, ms, 1)),
        }
    }
    sums.sort_by(|a, b| b.1.total_cmp(&a.1));
    sums
}

/// Milliseconds of each of `dispatches` (already run once), in order, and how they were
/// measured: the mean of `reps` runs with GPU timestamps where the device has them
/// (`gpu::timing`), else each dispatch submitted and waited for alone `reps` times (which
/// includes per-submit overhead).
pub fn time_dispatches(gpu: &Gpu, dispatches: &[Dispatch], reps: usize) -> Result<(Vec<f64>, &'static str)> {
    Ok(match crate::gpu::timing::dispatch_times(gpu, dispatches)? {
        Some(first) => {
            let mut sum = first;
            for _ in 1..reps.max(1) {
                let t = crate::gpu::timing::dispatch_times(gpu, dispatches)?.unwrap_or_default();
                sum.iter_mut().zip(t).for_each(|(s, v)| *s += v);
            }
            (
                sum.into_iter().map(|v| v / reps.max(1) as f64).collect::<Vec<_>>(),
                "GPU timestamps, one pass per dispatch",
            )
        }
        None => {
            let mut times = Vec::new();
            for d in dispatches {
                let t0 = Instant::now();
                for _ in 0..reps {
                    gpu.run(std::slice::from_ref(d))?;
                    gpu.wait()?;
                }
                times.push(t0.elapsed().as_secs_f64() * 1e3 / reps.max(1) as f64);
            }
            (times, "each dispatch submitted and waited for alone (includes per-submit overhead)")
        }
    })
}

/// An inference profile: per kernel (`KernelTime`), per dispatch in order (the node it belongs
/// to, or "input" for the input's QUANTIZE, its kernel and milliseconds; GPU int8 only), and how
/// they were measured.
pub struct InferenceProfile {
    /// Per kernel, slowest first.
    pub kernels: Vec<KernelTime>,
    /// Per dispatch, in order (empty for the fake-quant forward).
    pub dispatches: Vec<(String, &'static str, f64)>,
    /// How the times were measured.
    pub method: &'static str,
}

/// Time of each kernel of one batch of `batch` images through `spec` (`bench_state`): the GPU
/// int8 kernels and the GPU fake-quant f32 forward (`time_dispatches`), in that order.
pub fn profile_inference(gpu: &Gpu, spec: &ModelSpec, batch: u32, reps: usize) -> Result<[InferenceProfile; 2]> {
    let model = bench_model(spec)?;
    let int8 = crate::int8_gpu::model::GpuInt8Model::upload(gpu, &model)?;
    let rec = int8.record(gpu, batch as usize)?;
    gpu.run(&rec.dispatches)?;
    gpu.wait()?;
    let (times, method) = time_dispatches(gpu, &rec.dispatches, reps)?;
    let kernels = by_kernel(&rec.dispatches, &times);
    let dispatches = rec
        .dispatches
        .iter()
        .zip(&rec.nodes)
        .zip(&times)
        .map(|((d, node), &ms)| {
            let name = node.map_or_else(|| "input".to_string(), |k| model.nodes[k].name.clone());
            (name, d.label, ms)
        })
        .collect();
    let int8_profile = InferenceProfile { kernels, dispatches, method };
    let pixels = spec.input.iter().product::<u32>() as usize;
    let data = synthetic_split(batch as usize, pixels, 9);
    let net = crate::quantize::verify::network_from_state(gpu, &crate::quantize::dequantize(&model)?)?;
    let ds = GpuDataset::upload(gpu, &data.images, &data.labels, spec.input, &model.input_norm);
    let plan = Plan::build(gpu, &net, &ds, batch as usize, PlanOptions::evaluation(batch, true, 8))?;
    plan.run(gpu, 0, 1, 0.0, 1)?;
    gpu.wait()?;
    let (kernels, method) = profile_dispatches(gpu, &plan.dispatches, reps)?;
    Ok([int8_profile, InferenceProfile { kernels, dispatches: Vec::new(), method }])
}

/// `spec` with its initial weights and every activation range [-4, 6], as the inference
/// benchmarks run it (their speed does not depend on the values).
fn bench_state(spec: &ModelSpec) -> Result<TrainedState> {
    let place = crate::model::placement::placement(spec)?;
    Ok(TrainedState {
        spec: spec.clone(),
        params: crate::train::network::initial_params(spec, 5)?,
        input_range: [0.0, 1.0],
        output_ranges: place.iter().map(|p| matches!(p, OutputQuant::Own).then_some([-4.0, 6.0])).collect(),
        bits: 8,
        weight_quant: crate::train::network::WeightQuant::PerChannel,
        input_norm: qat_int8::model::InputNorm::unit(spec.input[2]),
    })
}

/// The int8 model the inference benchmarks run: `spec` with its initial weights and every
/// activation range [-4, 6], quantized.
pub fn bench_model(spec: &ModelSpec) -> Result<qat_int8::model::QuantModel> {
    quantize(&bench_state(spec)?)
}

/// CPU int8 images/s of `spec` (`bench_state`) on the interpreter.
pub fn int8_images_per_sec(spec: &ModelSpec, images: usize) -> Result<f64> {
    let model = bench_model(spec)?;
    let pixels = spec.input.iter().product::<u32>() as usize;
    let data = synthetic_split(images, pixels, 9);
    let t0 = Instant::now();
    let logits = run_batch(&model, &data.images, images)?;
    let secs = t0.elapsed().as_secs_f64();
    std::hint::black_box(logits);
    Ok(images as f64 / secs.max(1e-9))
}

/// GPU inference images/s of one model (`gpu_inference_images_per_sec`).
pub struct InferenceRates {
    /// The int8 kernels with the device's best variant (`GpuInt8Model::upload`).
    pub gpu_int8: f64,
    /// The int8 kernels with every variant the device has: (arithmetic, dot4I8Packed, images/s).
    pub variants: Vec<(crate::int8_gpu::arithmetic::Arithmetic, bool, f64)>,
    /// The fake-quant f32 forward.
    pub gpu_fake_quant_f32: f64,
}

/// Inference images/s of `spec` (`bench_state`) at `batch` over `images` images, each the best
/// of `TRIALS` timings after a warm-up, on one adapter: the GPU int8 kernels (every variant the
/// device has) and the GPU fake-quant f32 forward. The int8 timings include their per-batch
/// image upload and logits readback, the f32 one its per-batch logits readback.
pub fn gpu_inference_images_per_sec(gpu: &Gpu, spec: &ModelSpec, batch: u32, images: usize) -> Result<InferenceRates> {
    use crate::int8_gpu::arithmetic::Arithmetic;
    use crate::int8_gpu::model::GpuInt8Model;
    let model = bench_model(spec)?;
    let pixels = spec.input.iter().product::<u32>() as usize;
    let data = synthetic_split(images, pixels, 9);
    let best = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        f()?;
        let mut secs = f64::INFINITY;
        for _ in 0..TRIALS {
            let t0 = Instant::now();
            f()?;
            secs = secs.min(t0.elapsed().as_secs_f64());
        }
        Ok(images as f64 / secs.max(1e-9))
    };
    let mut variants = Vec::new();
    for (arithmetic, dot4) in GpuInt8Model::variants(gpu) {
        let int8 = GpuInt8Model::upload_with(gpu, &model, arithmetic, dot4)?;
        let rate =
            best(&mut || int8.run(gpu, &data.images, images, batch as usize).map(std::hint::black_box).map(|_| ()))?;
        variants.push((arithmetic, dot4, rate));
    }
    let chosen = (Arithmetic::best(gpu), gpu.wgsl_dot4);
    let gpu_int8 = variants.iter().find(|v| (v.0, v.1) == chosen).map_or(0.0, |v| v.2);
    let net = crate::quantize::verify::network_from_state(gpu, &crate::quantize::dequantize(&model)?)?;
    let ds = GpuDataset::upload(gpu, &data.images, &data.labels, spec.input, &model.input_norm);
    let gpu_fake_quant_f32 = best(&mut || {
        crate::train::eval::evaluate(gpu, &net, &ds, &data.labels, true, batch, 8).map(std::hint::black_box).map(|_| ())
    })?;
    Ok(InferenceRates { gpu_int8, variants, gpu_fake_quant_f32 })
}

/// Runs every measurement and returns the JSON `qat bench --json` prints (README, "Benchmarks").
pub fn run_all(gpu: &Gpu, cfg: &BenchConfig) -> Result<serde_json::Value> {
    let before = yardstick_gflops(gpu, 2, TRIALS)?;
    let mut steps = Vec::new();
    let mut profiles = Vec::new();
    let mut int8 = serde_json::Map::new();
    let mut inference = Vec::new();
    let mut inference_profiles = Vec::new();
    for spec in &cfg.models {
        for &batch in &cfg.batches {
            for qat in [false, true] {
                steps.push((spec.name.clone(), batch, qat, time_train_step(gpu, spec, batch, qat, cfg.steps, TRIALS)?));
            }
        }
        if let (true, Some(&batch)) = (cfg.profile, cfg.batches.iter().max()) {
            let (kernels, method) = profile_step(gpu, spec, batch, true, 3)?;
            let total: f64 = kernels.iter().map(|k| k.1).sum();
            profiles.push(json!({
                "model": spec.name,
                "batch": batch,
                "qat": true,
                "method": method,
                "kernels": kernels
                    .into_iter()
                    .map(|(k, ms, n)| json!({ "kernel": k, "ms_per_step": ms, "dispatches": n, "share": ms / total }))
                    .collect::<Vec<_>>(),
            }));
            let [int8_kernels, f32_kernels] = profile_inference(gpu, spec, batch, 3)?;
            let listed = |p: InferenceProfile| {
                let total: f64 = p.kernels.iter().map(|k| k.1).sum();
                let mut out = json!({
                    "method": p.method,
                    "ms_per_batch": total,
                    "kernels": p.kernels
                        .into_iter()
                        .map(|(k, ms, n)| json!({ "kernel": k, "ms_per_batch": ms, "dispatches": n, "share": ms / total }))
                        .collect::<Vec<_>>(),
                });
                if !p.dispatches.is_empty() {
                    out["dispatches"] = p
                        .dispatches
                        .into_iter()
                        .map(|(node, k, ms)| json!({ "node": node, "kernel": k, "ms_per_batch": ms }))
                        .collect();
                }
                out
            };
            inference_profiles.push(json!({
                "model": spec.name,
                "batch": batch,
                "gpu_int8": listed(int8_kernels),
                "gpu_fake_quant_f32": listed(f32_kernels),
            }));
        }
        let cpu = int8_images_per_sec(spec, 1000)?;
        int8.insert(spec.name.clone(), json!(cpu));
        if let Some(&batch) = cfg.batches.iter().max() {
            let images = (4 * batch as usize).max(1024);
            let rates = gpu_inference_images_per_sec(gpu, spec, batch, images)?;
            let (gpu_int8, gpu_f32) = (rates.gpu_int8, rates.gpu_fake_quant_f32);
            let variants: Vec<_> = rates
                .variants
                .iter()
                .map(|&(a, dot4, rate)| {
                    json!({
                        "arithmetic": format!("{a:?}").to_lowercase(),
                        "dot4": dot4,
                        "images_per_sec": rate,
                        "over_fake_quant_f32": rate / gpu_f32,
                    })
                })
                .collect();
            inference.push(json!({
                "model": spec.name,
                "batch": batch,
                "images": images,
                "gpu_int8_images_per_sec": gpu_int8,
                "gpu_fake_quant_f32_images_per_sec": gpu_f32,
                "cpu_int8_images_per_sec": cpu,
                "gpu_int8_over_fake_quant_f32": gpu_int8 / gpu_f32,
                "gpu_int8_arithmetic": format!("{:?}", crate::int8_gpu::arithmetic::Arithmetic::best(gpu)).to_lowercase(),
                "gpu_int8_dot4": gpu.wgsl_dot4,
                "gpu_int8_variants": variants,
            }));
        }
    }
    let after = yardstick_gflops(gpu, 2, TRIALS)?;
    let yardstick = before.max(after);
    let steps: Vec<_> = steps
        .into_iter()
        .map(|(model, batch, qat, t)| {
            let gflops = t.flops as f64 / t.secs / 1e9;
            json!({
                "model": model,
                "batch": batch,
                "qat": qat,
                "step_ms": t.secs * 1e3,
                "images_per_sec": batch as f64 / t.secs,
                "gflop_per_step": t.flops as f64 / 1e9,
                "gflops": gflops,
                "ratio_to_yardstick": gflops / yardstick,
                "gpu_memory_bytes": t.gpu_bytes,
            })
        })
        .collect();
    Ok(json!({
        "adapter": gpu.describe(),
        "lp_num_threads": std::env::var("LP_NUM_THREADS").ok(),
        "yardstick": {
            "kernel": "benches/yardstick.wgsl",
            "size": YARDSTICK_SIZE,
            "gflops": yardstick,
            "gflops_before_steps": before,
            "gflops_after_steps": after,
        },
        "train_step": steps,
        "kernel_profile": profiles,
        "cpu_int8_inference_images_per_sec": int8,
        "inference": inference,
        "inference_kernel_profile": inference_profiles,
    }))
}
