//! The benchmark harness behind `qat bench --json`: training-step time and throughput for
//! mnist-cnn at several batch sizes (float and QAT), the achieved GFLOP/s of the step, the
//! GFLOP/s of our f32 matmul kernel as a ceiling measured in the same run, and CPU int8
//! inference images/s. Synthetic data: step time does not depend on pixel values.

use crate::data::gpu::GpuDataset;
use crate::data::mnist::Split;
use crate::data::rng::Rng;
use crate::export::quantize::{quantize, TrainedState};
use crate::gpu::{Dispatch, Gpu};
use crate::model::ModelSpec;
use crate::ops::adam::AdamConfig;
use crate::ops::matmul::MatmulParams;
use crate::quant::placement::OutputQuant;
use crate::reference::int8::run_batch;
use crate::train::plan::{Plan, PlanOptions};
use crate::train::Network;
use crate::Result;
use serde_json::json;
use std::time::Instant;

/// What `qat bench` measures.
pub struct BenchConfig {
    /// The model whose training step is timed.
    pub model: ModelSpec,
    /// Steps timed per configuration (after a warm-up step).
    pub steps: usize,
    /// Also time each kernel of the QAT step at the first batch size.
    pub profile: bool,
    /// m = n = k of the matmul kernels timed as the ceiling.
    pub matmul_size: u32,
    /// Batch sizes.
    pub batches: Vec<u32>,
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

/// Times `steps` replays of a training plan; returns (seconds per step, flops per step).
pub fn time_train_step(gpu: &Gpu, spec: &ModelSpec, batch: u32, qat: bool, steps: usize) -> Result<(f64, u64)> {
    let pixels = spec.input.iter().product::<u32>() as usize;
    let samples = batch as usize * 4;
    let ds = GpuDataset::upload(gpu, &synthetic_split(samples, pixels, 7), pixels);
    let net = Network::init(gpu, spec, 1, crate::train::network::WeightQuant::PerChannel)?;
    let opts =
        PlanOptions { batch, qat, train: true, bn_frozen: false, adam: AdamConfig::default(), decay: 0.999, bits: 8 };
    let plan = Plan::build(gpu, &net, &ds, samples, opts)?;
    let order: Vec<u32> = (0..samples as u32).collect();
    gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(&order));
    let warmup = 3;
    for s in 0..warmup {
        plan.run(gpu, ((s % 4) * batch as usize) as u32, s as u32 + 1, 1e-3, s as u32 + 1)?;
    }
    gpu.wait()?;
    let t0 = Instant::now();
    for s in 0..steps {
        plan.run(gpu, ((s % 4) * batch as usize) as u32, (warmup + s) as u32 + 1, 1e-3, (warmup + s) as u32 + 1)?;
    }
    gpu.wait()?;
    Ok((t0.elapsed().as_secs_f64() / steps.max(1) as f64, plan.flops_per_step))
}

/// Time of each dispatch of one recorded training step, run alone `reps` times (submit + wait
/// each), summed by kernel name, slowest first: (kernel, milliseconds per step, dispatches).
pub fn profile_step(
    gpu: &Gpu,
    spec: &ModelSpec,
    batch: u32,
    qat: bool,
    reps: usize,
) -> Result<Vec<(&'static str, f64, usize)>> {
    let pixels = spec.input.iter().product::<u32>() as usize;
    let samples = batch as usize;
    let ds = GpuDataset::upload(gpu, &synthetic_split(samples, pixels, 7), pixels);
    let net = Network::init(gpu, spec, 1, crate::train::network::WeightQuant::PerChannel)?;
    let opts =
        PlanOptions { batch, qat, train: true, bn_frozen: false, adam: AdamConfig::default(), decay: 0.999, bits: 8 };
    let plan = Plan::build(gpu, &net, &ds, samples, opts)?;
    let order: Vec<u32> = (0..samples as u32).collect();
    gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(&order));
    plan.run(gpu, 0, 1, 1e-3, 1)?;
    gpu.wait()?;
    let mut by_kernel: Vec<(&'static str, f64, usize)> = Vec::new();
    for d in &plan.dispatches {
        let t0 = Instant::now();
        for _ in 0..reps {
            gpu.run(std::slice::from_ref(d))?;
            gpu.wait()?;
        }
        let ms = t0.elapsed().as_secs_f64() * 1e3 / reps.max(1) as f64;
        match by_kernel.iter_mut().find(|(k, _, _)| *k == d.label) {
            Some(e) => {
                e.1 += ms;
                e.2 += 1;
            }
            None => by_kernel.push((d.label, ms, 1)),
        }
    }
    by_kernel.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(by_kernel)
}

/// GFLOP/s of a matmul kernel ("matmul/strided" or "matmul/row_major_b_vec4") on square n x n
/// row-major matrices, `reps` dispatches in one submit.
pub fn matmul_gflops(gpu: &Gpu, kernel: &str, n: u32, reps: usize) -> Result<f64> {
    let mut rng = Rng::new(3);
    let len = (n * n) as usize;
    let a: Vec<f32> = (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let b: Vec<f32> = (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let (ba, bb) = (gpu.upload("a", &a), gpu.upload("b", &b));
    let bias = gpu.storage("bias", n as usize);
    let c = gpu.storage("c", len);
    let p = MatmulParams::row_major(n, n, n);
    let one = || {
        if kernel == "matmul/strided" {
            p.dispatch_strided(gpu, &ba, &bb, &bias, &c)
        } else {
            p.dispatch(gpu, &ba, &bb, &bias, &c)
        }
    };
    let d: Vec<Dispatch> = (0..reps).map(|_| one()).collect::<Result<_>>()?;
    gpu.run(&d[..1])?;
    gpu.wait()?;
    let t0 = Instant::now();
    gpu.run(&d)?;
    gpu.wait()?;
    Ok(p.flops() as f64 * reps as f64 / t0.elapsed().as_secs_f64() / 1e9)
}

/// CPU int8 images/s of `spec` with its initial weights and every activation range [-4, 6]
/// (the interpreter's speed does not depend on the values).
pub fn int8_images_per_sec(spec: &ModelSpec, images: usize) -> Result<f64> {
    let place = crate::quant::placement::placement(spec)?;
    let state = TrainedState {
        spec: spec.clone(),
        params: crate::train::network::initial_params(spec, 5)?,
        input_range: [0.0, 1.0],
        output_ranges: place.iter().map(|p| matches!(p, OutputQuant::Own).then_some([-4.0, 6.0])).collect(),
        bits: 8,
        weight_quant: crate::train::network::WeightQuant::PerChannel,
    };
    let model = quantize(&state)?;
    let pixels = spec.input.iter().product::<u32>() as usize;
    let data = synthetic_split(images, pixels, 9);
    let t0 = Instant::now();
    let logits = run_batch(&model, &data.images, images)?;
    let secs = t0.elapsed().as_secs_f64();
    std::hint::black_box(logits);
    Ok(images as f64 / secs.max(1e-9))
}

/// Runs every measurement and returns the JSON `qat bench --json` prints.
pub fn run_all(gpu: &Gpu, cfg: &BenchConfig) -> Result<serde_json::Value> {
    let spec = cfg.model.clone();
    let kernels = ["matmul/strided", "matmul/row_major_b_vec4"];
    let measured: Vec<(&str, f64)> =
        kernels.iter().map(|k| Ok((*k, matmul_gflops(gpu, k, cfg.matmul_size, 8)?))).collect::<Result<_>>()?;
    let (best_kernel, matmul) = measured.iter().copied().fold(("", 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let mut steps = Vec::new();
    for &batch in &cfg.batches {
        for qat in [false, true] {
            let (secs, flops) = time_train_step(gpu, &spec, batch, qat, cfg.steps)?;
            let gflops = flops as f64 / secs / 1e9;
            steps.push(json!({
                "model": spec.name,
                "batch": batch,
                "qat": qat,
                "step_ms": secs * 1e3,
                "images_per_sec": batch as f64 / secs,
                "gflop_per_step": flops as f64 / 1e9,
                "gflops": gflops,
                "fraction_of_matmul_ceiling": gflops / matmul,
            }));
        }
    }
    let profile = match (cfg.profile, cfg.batches.first()) {
        (true, Some(&batch)) => profile_step(gpu, &spec, batch, true, 5)?
            .into_iter()
            .map(|(k, ms, n)| json!({ "kernel": k, "ms_per_step": ms, "dispatches": n }))
            .collect(),
        _ => Vec::new(),
    };
    Ok(json!({
        "adapter": gpu.describe(),
        "qat_step_profile": profile,
        "train_step": steps,
        "matmul_ceiling": { "kernel": best_kernel, "size": cfg.matmul_size, "gflops": matmul },
        "matmul_kernels": measured.iter().map(|(k, g)| json!({ "kernel": k, "gflops": g })).collect::<Vec<_>>(),
        "cpu_int8_inference_images_per_sec": int8_images_per_sec(&spec, 2000)?,
    }))
}
