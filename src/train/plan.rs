//! A recorded step: every buffer, bind group and dispatch of one batch's work, built once and
//! replayed by writing the 16-byte step uniform and submitting one command buffer.
//!
//! A plan is "train" (gather, forward, loss, backward, Adam) or "eval" (gather, forward), float
//! or fake-quant, over the model's DAG in node order: each node's kind records itself
//! (`layers::Behaviour::record`) into the recording context (`train::record`), and its backward
//! in reverse order.
//!
//! A step split into micro-batches (`PlanOptions::micro_batches`) is recorded once at the
//! micro-batch's size and replayed within the step's one submit: each micro-batch gathers its
//! part of the batch, runs the forward, loss and backward, and adds its parameter gradients into
//! an accumulator (`elementwise/accumulate`); after the last, the optimizer steps once on their
//! mean.

use crate::gpu::{dispatch::Dispatch, Gpu};
use crate::ops::adam::StepUniform;
use crate::ops::elementwise::AccumulateParams;
use crate::ops::gather::{Augment, GatherParams, GpuDataset};
use crate::ops::loss::{LossParams, Totals, TOTALS_WORDS};
use crate::train::network::Network;
use crate::train::record::{Backward, Builder, PlanOptions};
use crate::{QatError, Result};

/// How buffer errors name layer `k` while `what` (forward, backward) is recorded.
fn layer_context(net: &Network, k: usize, what: &str) -> String {
    let node = &net.spec.nodes[k];
    format!("layer {k} {:?} ({}), {what}", node.name, node.layer.op_name())
}

/// The replayable work of one batch.
pub struct Plan {
    /// Every dispatch of one step, in order.
    pub dispatches: Vec<Dispatch>,
    /// The per-step uniform (`StepUniform`).
    pub step: wgpu::Buffer,
    /// Sample order: sample b of a step is `order[batch_start + b]`.
    pub order: wgpu::Buffer,
    /// Entries of the order buffer.
    pub order_len: usize,
    /// The logits of the step's batch.
    pub logits: wgpu::Buffer,
    /// The labels of the step's batch.
    pub labels: wgpu::Buffer,
    /// Loss and accuracy sums and the health words (`ops::loss::Totals`; train plans).
    pub totals: wgpu::Buffer,
    /// Samples per step.
    pub batch: u32,
    /// Classes (logits per sample).
    pub classes: u32,
    /// Floating-point operations of the convolutions and matmuls of one step.
    pub flops_per_step: u64,
}

/// The dispatches of a step of `micro` micro-batches of `size` samples from those of one
/// (`one`: its gather first, then forward, loss and backward): micro-batch i gathers through
/// `gather(i * size)` and replays the rest, then adds its gradients (`grads`, each with its
/// length) into an accumulator; the last leaves their mean in the gradient buffers the
/// optimizer reads.
fn micro_batched(
    gpu: &Gpu,
    one: &[Dispatch],
    grads: &[(usize, wgpu::Buffer)],
    (micro, size): (u32, u32),
    gather: impl Fn(u32) -> Result<Dispatch>,
) -> Result<Vec<Dispatch>> {
    let accumulators: Vec<wgpu::Buffer> =
        grads.iter().map(|(len, _)| gpu.storage("accumulated gradient", *len)).collect();
    let mut out = Vec::with_capacity((one.len() + grads.len()) * micro as usize);
    for i in 0..micro {
        out.push(gather(i * size)?);
        out.extend(one.iter().skip(1).cloned());
        for ((len, g), acc) in grads.iter().zip(&accumulators) {
            out.push(if i + 1 < micro {
                AccumulateParams::new(*len, i > 0, 1.0).dispatch(gpu, g, acc)?
            } else {
                AccumulateParams::new(*len, true, 1.0 / micro as f32).dispatch(gpu, acc, g)?
            });
        }
    }
    Ok(out)
}

impl Plan {
    /// Records the work of one batch of `opts.batch` samples drawn from `data` through an
    /// order buffer of `order_len` entries.
    pub fn build(gpu: &Gpu, net: &Network, data: &GpuDataset, order_len: usize, opts: PlanOptions) -> Result<Plan> {
        Self::build_sharing(gpu, net, data, order_len, opts, None)
    }

    /// As `build`, reusing the step uniform, order and totals buffers of `shared` (so two plans
    /// of one phase, e.g. before and after freezing batch norm, replay one schedule).
    pub fn build_sharing(
        gpu: &Gpu,
        net: &Network,
        data: &GpuDataset,
        order_len: usize,
        opts: PlanOptions,
        shared: Option<&Plan>,
    ) -> Result<Plan> {
        gpu.scoped("recording a training step", || {
            let classes = net.spec.classes()?;
            let micro = opts.micro_batches.max(1);
            if opts.batch == 0 || !opts.batch.is_multiple_of(micro) {
                return Err(QatError::Invalid(format!(
                    "a batch of {} cannot be split into {micro} equal micro-batches",
                    opts.batch
                )));
            }
            if micro > 1 && !opts.train {
                return Err(QatError::Invalid("only a training step is split into micro-batches".into()));
            }
            let n = opts.micro_batch();
            let (step, order, totals) = match shared {
                Some(s) if s.order_len == order_len => (s.step.clone(), s.order.clone(), s.totals.clone()),
                _ => (
                    crate::gpu::buffers::uniform(gpu, "step", &StepUniform::new(0, 1, opts.adam.lr, 1)),
                    gpu.storage("order", order_len),
                    gpu.storage("totals", TOTALS_WORDS),
                ),
            };
            gpu.buffer_context(if micro > 1 {
                format!("the step's micro-batch of {n} images ({micro} per batch of {})", opts.batch)
            } else {
                format!("the step's batch of {n} images")
            });
            let x = gpu.storage("batch images", n as usize * data.pixels);
            let labels = gpu.storage("batch labels", n as usize);
            let mut b = Builder { gpu, net, opts, forward: Vec::new(), recs: Vec::new(), outs: Vec::new(), flops: 0 };
            let augment = if opts.train { opts.augment } else { Augment::default() };
            let gather = GatherParams::new(n, data.shape, augment);
            b.forward.push(gather.dispatch(gpu, &step, data, &order, &x, &labels)?);
            b.begin(x.clone())?;
            for k in 0..net.spec.nodes.len() {
                gpu.buffer_context(layer_context(net, k, "forward"));
                let out = crate::layers::behaviour(&net.spec.nodes[k].layer).record(&mut b, k)?;
                b.outs.push(out);
            }
            let logits = b
                .outs
                .last()
                .map(|o| o.0.clone())
                .ok_or_else(|| QatError::Invalid("the model has no layers".into()))?;
            gpu.buffer_context(format!("the loss of the step's batch of {n} images"));
            let mut dispatches = std::mem::take(&mut b.forward);
            let mut flops = b.flops;
            if opts.train {
                let loss = LossParams::new(n, classes);
                let dlogits = gpu.storage("logits grad", (n * classes) as usize);
                let per_sample = gpu.storage("per-sample loss", 2 * n as usize);
                dispatches.push(loss.forward_backward(gpu, &logits, &labels, &dlogits, &per_sample)?);
                dispatches.push(loss.accumulate(gpu, &step, &per_sample, &totals)?);
                let tensors = b.outs.len();
                let mut back = Backward {
                    gpu,
                    net,
                    opts,
                    out: Vec::new(),
                    updates: Vec::new(),
                    updated: Vec::new(),
                    grads: vec![None; tensors],
                    step: &step,
                    totals: &totals,
                };
                back.grads[tensors - 1] = Some(dlogits);
                for (k, rec) in b.recs.iter().enumerate().rev() {
                    if let Some(dy) = back.grads[k + 1].take() {
                        gpu.buffer_context(layer_context(net, k, "backward"));
                        rec.backward(&mut back, dy)?;
                    }
                }
                gpu.buffer_context("");
                dispatches.extend(back.out);
                if micro > 1 {
                    gpu.buffer_context("the gradients accumulated over the step's micro-batches");
                    dispatches = micro_batched(gpu, &dispatches, &back.updated, (micro, n), |offset| {
                        gather.at(offset).dispatch(gpu, &step, data, &order, &x, &labels)
                    })?;
                    flops *= micro as u64;
                }
                dispatches.extend(back.updates);
            } else {
                flops /= 3;
            }
            Ok(Plan {
                dispatches,
                step,
                order,
                order_len,
                logits,
                labels,
                totals,
                batch: opts.batch,
                classes,
                flops_per_step: flops,
            })
        })
    }

    /// Replays the plan for the batch starting at `batch_start` in the order buffer; `t` is
    /// Adam's step number, `lr` its learning rate and `step` the training step (from 1) that
    /// health reports name. One write of 16 bytes, one submit.
    pub fn run(&self, gpu: &Gpu, batch_start: u32, t: u32, lr: f32, step: u32) -> Result<()> {
        let s = StepUniform::new(batch_start, t, lr, step);
        gpu.queue.write_buffer(&self.step, 0, bytemuck::bytes_of(&s));
        gpu.run(&self.dispatches)
    }

    /// Reads and clears the running totals and health words.
    pub fn take_totals(&self, gpu: &Gpu) -> Result<Totals> {
        let words: Vec<u32> = gpu.read(&self.totals, TOTALS_WORDS)?;
        gpu.queue.write_buffer(&self.totals, 0, bytemuck::cast_slice(&[0u32; TOTALS_WORDS]));
        Ok(Totals::from_words(&words))
    }
}
