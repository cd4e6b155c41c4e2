//! Fused softmax cross-entropy (loss, gradient, correctness per sample) and the running totals
//! kept on the GPU between readbacks: loss and accuracy sums, and the training's health (the
//! first step with a non-finite loss, gradient or weight, or an exploding loss).

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, Gpu};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of loss/softmax_cross_entropy.wgsl.
pub struct LossParams {
    /// Batch size.
    pub n: u32,
    /// Classes (logits per sample).
    pub classes: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(LossParams: n, classes, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of loss/accumulate.wgsl.
pub struct AccumulateParams {
    /// Batch size.
    pub n: u32,
    /// A batch whose mean loss exceeds this is recorded as exploding.
    pub explode_limit: f32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(AccumulateParams: n, explode_limit, _pad);

/// Number of u32 words in the totals buffer (layout in loss/accumulate.wgsl and `Totals`).
pub const TOTALS_WORDS: usize = 8;

/// A loss above this many times ln(classes), the loss of a uniform guess (where training
/// starts), means training is exploding: a healthy run only goes below it.
pub const EXPLODING_LOSS_FACTOR: f32 = 20.0;

/// The totals buffer, read back.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Totals {
    /// Sum of the per-sample losses.
    pub loss_sum: f32,
    /// Samples whose top logit is the label.
    pub correct: f32,
    /// Samples counted.
    pub samples: f32,
    /// The health words.
    pub health: Health,
}

/// The first (global, 1-based) step at which each problem was seen, if it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Health {
    /// A batch with a NaN or infinite loss.
    pub non_finite_loss: Option<u32>,
    /// A batch whose mean loss exceeds `explode_limit`.
    pub exploding_loss: Option<u32>,
    /// A NaN or infinite gradient (Adam).
    pub non_finite_gradient: Option<u32>,
    /// A NaN or infinite weight after an update (Adam).
    pub non_finite_weight: Option<u32>,
}

impl Totals {
    /// Decodes the buffer's words.
    pub fn from_words(w: &[u32]) -> Totals {
        let word = |i: usize| w.get(i).copied().unwrap_or(0);
        let step = |i: usize| Some(word(i)).filter(|&s| s != 0);
        Totals {
            loss_sum: f32::from_bits(word(0)),
            correct: f32::from_bits(word(1)),
            samples: f32::from_bits(word(2)),
            health: Health {
                non_finite_loss: step(3),
                exploding_loss: step(4),
                non_finite_gradient: step(5),
                non_finite_weight: step(6),
            },
        }
    }
    /// Encodes the totals as the buffer's words.
    pub fn to_words(&self) -> [u32; TOTALS_WORDS] {
        let h = &self.health;
        let s = |v: Option<u32>| v.unwrap_or(0);
        [
            self.loss_sum.to_bits(),
            self.correct.to_bits(),
            self.samples.to_bits(),
            s(h.non_finite_loss),
            s(h.exploding_loss),
            s(h.non_finite_gradient),
            s(h.non_finite_weight),
            0,
        ]
    }
}

impl Health {
    /// The earliest problem: (step, what happened).
    pub fn first_problem(&self, explode_limit: f32) -> Option<(u32, String)> {
        [
            (self.non_finite_gradient, "a gradient became NaN or infinite".to_string()),
            (self.non_finite_weight, "a weight became NaN or infinite".to_string()),
            (self.non_finite_loss, "the loss became NaN or infinite".to_string()),
            (self.exploding_loss, format!("the batch loss exceeded {explode_limit:.1} ({EXPLODING_LOSS_FACTOR} x the loss of a uniform guess): the loss is exploding")),
        ]
        .into_iter()
        .filter_map(|(s, what)| s.map(|s| (s, what)))
        .min_by_key(|(s, _)| *s)
    }
}

/// The batch-mean loss above which a step counts as exploding, for `classes` classes.
pub fn explode_limit(classes: u32) -> f32 {
    EXPLODING_LOSS_FACTOR * (classes.max(2) as f32).ln()
}

impl LossParams {
    /// The loss of `n` samples over `classes` logits.
    pub fn new(n: u32, classes: u32) -> Self {
        LossParams { n, classes, _pad: [0; 2] }
    }
    /// `per_sample` holds 2 words per sample: loss, correct.
    pub fn forward_backward(
        &self,
        gpu: &Gpu,
        logits: &wgpu::Buffer,
        labels: &wgpu::Buffer,
        dlogits: &wgpu::Buffer,
        per_sample: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        Dispatch::new(
            gpu,
            &SOFTMAX_CROSS_ENTROPY,
            self,
            &[logits, labels, dlogits, per_sample],
            Grid::items(self.n as usize, WORKGROUP_SIZE),
        )
    }
    /// Adds the batch into `totals` (`TOTALS_WORDS` words); `step` is the `StepUniform`.
    pub fn accumulate(
        &self,
        gpu: &Gpu,
        step: &wgpu::Buffer,
        per_sample: &wgpu::Buffer,
        totals: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let p = AccumulateParams { n: self.n, explode_limit: explode_limit(self.classes), _pad: [0; 2] };
        Dispatch::new(gpu, &ACCUMULATE, &p, &[step, per_sample, totals], Grid(1, 1, 1))
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `loss/softmax_cross_entropy`: shaders/loss/softmax_cross_entropy.wgsl.
#[rustfmt::skip]
pub static SOFTMAX_CROSS_ENTROPY: Kernel<LossParams> = crate::kernel!("loss/softmax_cross_entropy", LossParams, [R, R, W, W]);
/// `loss/accumulate`: shaders/loss/accumulate.wgsl.
#[rustfmt::skip]
pub static ACCUMULATE: Kernel<AccumulateParams> = crate::kernel!("loss/accumulate", AccumulateParams, [U, R, W]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&SOFTMAX_CROSS_ENTROPY.shader, &ACCUMULATE.shader];

/// Twins of the loss kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    /// Twin of loss/softmax_cross_entropy.wgsl: (dlogits, per-sample [loss, correct]).
    pub fn softmax_cross_entropy(n: usize, classes: usize, logits: &[f32], labels: &[u32]) -> (Vec<f32>, Vec<f32>) {
        let mut d = vec![0.0; n * classes];
        let mut per = vec![0.0; 2 * n];
        for b in 0..n {
            let row = &logits[b * classes..(b + 1) * classes];
            let (mut arg, mut mx) = (0, row[0]);
            for (j, &v) in row.iter().enumerate().skip(1) {
                if v > mx {
                    mx = v;
                    arg = j;
                }
            }
            let sum: f32 = row.iter().map(|v| (v - mx).exp()).sum();
            let label = labels[b] as usize;
            for j in 0..classes {
                let prob = (row[j] - mx).exp() / sum;
                d[b * classes + j] = (prob - if j == label { 1.0 } else { 0.0 }) / n as f32;
            }
            per[2 * b] = sum.ln() + mx - row[label];
            per[2 * b + 1] = (arg == label) as u32 as f32;
        }
        (d, per)
    }

    /// Twin of loss/accumulate.wgsl: adds per-sample [loss, correct] pairs into the totals and
    /// records `step` as the first step with a non-finite or exploding batch loss.
    pub fn accumulate_totals(per_sample: &[f32], totals: &mut crate::ops::loss::Totals, step: u32, explode_limit: f32) {
        let loss: f32 = per_sample.iter().step_by(2).sum();
        let correct: f32 = per_sample.iter().skip(1).step_by(2).sum();
        let n = (per_sample.len() / 2) as f32;
        let h = &mut totals.health;
        if !loss.is_finite() {
            h.non_finite_loss.get_or_insert(step);
        } else if loss > explode_limit * n {
            h.exploding_loss.get_or_insert(step);
        }
        totals.loss_sum += loss;
        totals.correct += correct;
        totals.samples += n;
    }
}
