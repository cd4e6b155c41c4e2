//! Agreement between the GPU fake-quant forward and the CPU int8 interpreter: what QAT
//! simulated versus what the int8 model computes, per image.

use crate::data::dataset::Split;
use crate::gpu::Gpu;
use crate::int8_gpu::model::GpuInt8Model;
use crate::ops::gather::GpuDataset;
use crate::quantize::{dequantize, export::TrainedState};
use crate::train::eval::{accuracy, argmax, evaluate};
use crate::train::network::Network;
use crate::Result;
use qat_int8::interpreter::run_batch;
use qat_int8::model::QuantModel;
use qat_int8::quant::params::TensorQuant;

#[derive(Debug, Clone, serde::Serialize)]
/// How the int8 interpreter and the GPU fake-quant forward agree.
pub struct Agreement {
    /// Images compared.
    pub images: usize,
    /// Fraction of images where both pick the same class.
    pub top1_agreement: f64,
    /// Largest |int8 logit - fake-quant logit| in output LSBs.
    pub max_logit_diff_lsb: i32,
    /// Mean |int8 logit - fake-quant logit| in output LSBs.
    pub mean_logit_diff_lsb: f64,
    /// Int8 accuracy.
    pub int8_acc: f64,
    /// Fake-quant accuracy.
    pub fake_quant_acc: f64,
    /// Output bytes where the GPU int8 kernels differ from the CPU interpreter, with the
    /// device's best variant (`verify_model` only; None in `compare`).
    pub gpu_int8_differing_bytes: Option<usize>,
    /// The same count for every kernel variant the device has (`GpuInt8Model::variants`).
    pub gpu_int8_variants: Vec<VariantCheck>,
}

/// The GPU int8 kernels of one variant against the CPU interpreter.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VariantCheck {
    /// "words" (32-bit limbs) or "native" (i64 and f64).
    pub arithmetic: String,
    /// Whether the dot products use WGSL's dot4I8Packed.
    pub dot4: bool,
    /// Output bytes that differ from the interpreter's.
    pub differing_bytes: usize,
}

/// Compares fake-quant float logits (on the output grid of `out`) with int8 logits.
pub fn compare(fake_quant: &[f32], int8: &[i8], classes: usize, out: TensorQuant, labels: &[u8]) -> Agreement {
    let images = labels.len();
    let mut same = 0usize;
    let mut max_diff = 0;
    let mut sum_diff = 0u64;
    for (fq, q) in fake_quant.chunks(classes).zip(int8.chunks(classes)) {
        if argmax(fq) == argmax(q) {
            same += 1;
        }
        for (&f, &i) in fq.iter().zip(q) {
            let lsb = (f / out.scale).round() as i32 + out.zero_point;
            let d = (lsb - i as i32).abs();
            max_diff = max_diff.max(d);
            sum_diff += d as u64;
        }
    }
    Agreement {
        images,
        top1_agreement: same as f64 / images.max(1) as f64,
        max_logit_diff_lsb: max_diff,
        mean_logit_diff_lsb: sum_diff as f64 / (images * classes).max(1) as f64,
        int8_acc: accuracy(int8, classes, labels),
        fake_quant_acc: accuracy(fake_quant, classes, labels),
        gpu_int8_differing_bytes: None,
        gpu_int8_variants: Vec::new(),
    }
}

/// A GPU network holding a trained state: parameters, and activation ranges marked as seen.
pub fn network_from_state(gpu: &Gpu, state: &TrainedState) -> Result<Network> {
    let mut net = Network::with_params(gpu, &state.spec, &state.params, state.weight_quant)?;
    net.input_norm = state.input_norm.clone();
    net.write_range(gpu, &net.input_range, state.input_range[0], state.input_range[1]);
    for (buf, r) in net.output_ranges.iter().zip(&state.output_ranges) {
        if let (Some(b), Some(r)) = (buf, r) {
            net.write_range(gpu, b, r[0], r[1]);
        }
    }
    Ok(net)
}

/// Int8 logits of `split` on the CPU.
pub fn int8_logits(model: &QuantModel, split: &Split) -> Result<Vec<i8>> {
    Ok(run_batch(model, &split.images, split.count)?)
}

/// Runs an int8 model file's fake-quant twin on the GPU and the int8 interpreter on the CPU
/// over `split`, and compares them; also runs the GPU int8 kernels, with the device's best
/// variant and then with every variant it has, and counts the output bytes where they differ
/// from the interpreter's.
pub fn verify_model(gpu: &Gpu, model: &QuantModel, split: &Split, eval_batch: u32) -> Result<Agreement> {
    let state = dequantize(model)?;
    let net = network_from_state(gpu, &state)?;
    let ds = GpuDataset::upload(gpu, &split.images, &split.labels, model.input_shape, &model.input_norm);
    let fq = evaluate(gpu, &net, &ds, &split.labels, true, eval_batch, 8)?;
    let q = int8_logits(model, split)?;
    let differing =
        |on_gpu: Vec<i8>| q.iter().zip(&on_gpu).filter(|(a, b)| a != b).count() + q.len().abs_diff(on_gpu.len());
    let best = GpuInt8Model::upload(gpu, model)?.run(gpu, &split.images, split.count, 256)?;
    let mut a = compare(&fq.logits, &q, fq.classes, model.logits_quant(), &split.labels);
    a.gpu_int8_differing_bytes = Some(differing(best));
    for (arithmetic, dot4) in GpuInt8Model::variants(gpu) {
        let on_gpu =
            GpuInt8Model::upload_with(gpu, model, arithmetic, dot4)?.run(gpu, &split.images, split.count, 256)?;
        a.gpu_int8_variants.push(VariantCheck {
            arithmetic: format!("{arithmetic:?}").to_lowercase(),
            dot4,
            differing_bytes: differing(on_gpu),
        });
    }
    Ok(a)
}
