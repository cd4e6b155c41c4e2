//! A recorded step: every buffer, bind group and dispatch of one batch's work, built once and
//! replayed by writing the 16-byte step uniform and submitting one command buffer.
//!
//! A plan is "train" (gather, forward, loss, backward, Adam) or "eval" (gather, forward), float
//! or fake-quant. Fake quant follows tfmot's default 8-bit scheme: the model input, every conv
//! and dense weight (per output channel for conv, per tensor for dense, symmetric narrow range,
//! last-value ranges) and every conv/dense output after its ReLU (moving-average ranges). Max
//! pooling and flatten keep their input's quantization.

use crate::data::gpu::GpuDataset;
use crate::gpu::{Dispatch, Gpu};
use crate::model::Layer;
use crate::ops::adam::{AdamConfig, AdamParams, StepUniform};
use crate::ops::conv2d::Conv2dParams;
use crate::ops::dense::DenseShape;
use crate::ops::fake_quant::FakeQuantParams;
use crate::ops::gather::GatherParams;
use crate::ops::loss::{LossParams, TOTALS_WORDS};
use crate::ops::observer::{ActivationRangeParams, RangeMode, WeightRangeParams};
use crate::ops::pool::MaxPoolParams;
use crate::ops::reduce::ColumnSumParams;
use crate::ops::relu::ReluParams;
use crate::quant::fake_quant::Grid;
use crate::train::Network;
use crate::Result;

#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    pub batch: u32,
    /// Insert fake quant.
    pub qat: bool,
    /// Record loss, backward and optimizer (and update observers).
    pub train: bool,
    pub adam: AdamConfig,
    /// Moving-average decay of activation ranges.
    pub decay: f32,
    pub bits: u32,
}

/// The replayable work of one batch.
pub struct Plan {
    pub dispatches: Vec<Dispatch>,
    /// The per-step uniform (`StepUniform`).
    pub step: wgpu::Buffer,
    /// Sample order: sample b of a step is `order[batch_start + b]`.
    pub order: wgpu::Buffer,
    pub order_len: usize,
    pub logits: wgpu::Buffer,
    pub labels: wgpu::Buffer,
    /// [loss_sum, correct, samples, non_finite] (train plans).
    pub totals: wgpu::Buffer,
    pub batch: u32,
    pub classes: u32,
    /// Floating-point operations of the convolutions and matmuls of one step.
    pub flops_per_step: u64,
}

/// What the backward pass needs from each forward op, recorded in forward order.
enum Back {
    FakeQuant { p: FakeQuantParams, x: wgpu::Buffer, ranges: wgpu::Buffer },
    Relu { p: ReluParams, x: wgpu::Buffer },
    MaxPool { p: MaxPoolParams, argmax: wgpu::Buffer },
    Conv { p: Conv2dParams, x: wgpu::Buffer, w: WeightUse, first: bool },
    Dense { s: DenseShape, x: wgpu::Buffer, w: WeightUse, first: bool },
}

/// The weights a layer's forward used: the float weights, or their fake-quantized copy.
struct WeightUse {
    param: usize,
    used: wgpu::Buffer,
    fake_quant: Option<FakeQuantParams>,
}

struct Builder<'a> {
    gpu: &'a Gpu,
    net: &'a Network,
    opts: PlanOptions,
    forward: Vec<Dispatch>,
    back: Vec<Back>,
    flops: u64,
}

impl Builder<'_> {
    /// Fake quant of an activation with its range; updates the range first when training.
    fn activation_fake_quant(&mut self, x: &wgpu::Buffer, count: usize, range: &wgpu::Buffer, mode: RangeMode) -> Result<wgpu::Buffer> {
        if self.opts.train {
            self.forward.push(ActivationRangeParams::new(count, mode).dispatch(self.gpu, x, range)?);
        }
        let p = FakeQuantParams::new(count, 1, count.max(1), Grid::activation(self.opts.bits));
        let y = self.gpu.storage("fake-quant activation", count);
        self.forward.push(p.forward(self.gpu, x, range, &y)?);
        self.back.push(Back::FakeQuant { p, x: x.clone(), ranges: range.clone() });
        Ok(y)
    }

    /// The weights layer `param` uses in the forward pass.
    fn weights(&mut self, param: usize) -> Result<WeightUse> {
        let p = &self.net.params[param];
        if !self.opts.qat {
            return Ok(WeightUse { param, used: p.weight.clone(), fake_quant: None });
        }
        let inner = p.weight_len / p.range_channels;
        self.forward.push(WeightRangeParams::new(p.range_channels, inner).dispatch(self.gpu, &p.weight, &p.weight_range)?);
        let fq = FakeQuantParams::new(p.weight_len, p.range_channels, inner, Grid::weight(self.opts.bits));
        let used = self.gpu.storage("fake-quant weight", p.weight_len);
        self.forward.push(fq.forward(self.gpu, &p.weight, &p.weight_range, &used)?);
        Ok(WeightUse { param, used, fake_quant: Some(fq) })
    }

    /// Forward of the whole network from the gathered batch `x`; returns the logits.
    fn forward(&mut self, x: wgpu::Buffer) -> Result<wgpu::Buffer> {
        let gpu = self.gpu;
        let n = self.opts.batch;
        let mut cur = x;
        let input_len = n as usize * self.net.spec.input.iter().product::<u32>() as usize;
        if self.opts.qat {
            cur = self.activation_fake_quant(&cur, input_len, &self.net.input_range.clone(), RangeMode::AllSeen)?;
            // The input needs no gradient: drop the record.
            self.back.pop();
        }
        let mut param = 0;
        for (i, layer) in self.net.spec.layers.iter().enumerate() {
            let input = self.net.input_shape(i);
            let first = i == 0;
            let (out, relu) = match *layer {
                Layer::Conv2d { filters, kernel, stride, padding, relu } => {
                    let p = Conv2dParams::new(n, input, filters, kernel, stride, padding)?;
                    let w = self.weights(param)?;
                    let y = gpu.storage("conv output", p.output_len());
                    self.forward.push(p.forward(gpu, &cur, &w.used, &self.net.params[param].bias, &y)?);
                    self.flops += 6 * p.macs();
                    self.back.push(Back::Conv { p, x: cur.clone(), w, first });
                    param += 1;
                    ((y, p.output_len()), relu)
                }
                Layer::Dense { units, relu } => {
                    let s = DenseShape { n, inputs: input.iter().product(), outputs: units };
                    let w = self.weights(param)?;
                    let y = gpu.storage("dense output", (n * units) as usize);
                    self.forward.push(s.forward(gpu, &cur, &w.used, &self.net.params[param].bias, &y)?);
                    self.flops += 3 * s.forward_params().flops();
                    self.back.push(Back::Dense { s, x: cur.clone(), w, first });
                    param += 1;
                    ((y, (n * units) as usize), relu)
                }
                Layer::MaxPool { size, stride } => {
                    let p = MaxPoolParams::new(n, input, size, stride)?;
                    let y = gpu.storage("pool output", p.output_len());
                    let argmax = gpu.storage("pool argmax", p.output_len());
                    self.forward.push(p.forward(gpu, &cur, &y, &argmax)?);
                    self.back.push(Back::MaxPool { p, argmax });
                    cur = y;
                    continue;
                }
                Layer::Flatten => continue,
            };
            let (mut y, count) = out;
            if relu {
                let p = ReluParams::new(count);
                let a = gpu.storage("relu output", count);
                self.forward.push(p.forward(gpu, &y, &a)?);
                self.back.push(Back::Relu { p, x: y });
                y = a;
            }
            if self.opts.qat {
                let range = self.net.output_ranges[i].clone().ok_or_else(|| crate::QatError::Invalid(format!("layer {i} has no activation range")))?;
                y = self.activation_fake_quant(&y, count, &range, RangeMode::MovingAverage { decay: self.opts.decay })?;
            }
            cur = y;
        }
        Ok(cur)
    }

    /// Backward from the logits gradient, then one Adam update per parameter tensor.
    fn backward(&mut self, dlogits: wgpu::Buffer, step: &wgpu::Buffer) -> Result<Vec<Dispatch>> {
        let gpu = self.gpu;
        let mut out = Vec::new();
        let mut grad = Some(dlogits);
        let mut updates = Vec::new();
        for rec in std::mem::take(&mut self.back).into_iter().rev() {
            let Some(dy) = grad.take() else { break };
            grad = match rec {
                Back::FakeQuant { p, x, ranges } => {
                    let dx = gpu.storage("grad", p.count as usize);
                    out.push(p.backward(gpu, &x, &ranges, &dy, &dx)?);
                    Some(dx)
                }
                Back::Relu { p, x } => {
                    let dx = gpu.storage("grad", p.count as usize);
                    out.push(p.backward(gpu, &x, &dy, &dx)?);
                    Some(dx)
                }
                Back::MaxPool { p, argmax } => {
                    let dx = gpu.storage("grad", p.input_len());
                    out.push(p.backward(gpu, &dy, &argmax, &dx)?);
                    Some(dx)
                }
                Back::Conv { p, x, w, first } => {
                    let dw_used = gpu.storage("weight grad", p.weight_len());
                    out.push(p.backward_weight(gpu, &x, &dy, &dw_used)?);
                    let db = gpu.storage("bias grad", p.o as usize);
                    out.push(ColumnSumParams::new(p.n * p.oh * p.ow, p.o).dispatch(gpu, &dy, &db)?);
                    updates.push((w.param, self.weight_grad(&w, dw_used, &mut out)?, db));
                    if first {
                        None
                    } else {
                        let dx = gpu.storage("grad", p.input_len());
                        out.push(p.backward_input(gpu, &dy, &w.used, &dx)?);
                        Some(dx)
                    }
                }
                Back::Dense { s, x, w, first } => {
                    let dw_used = gpu.storage("weight grad", (s.inputs * s.outputs) as usize);
                    out.push(s.backward_weight(gpu, &x, &dy, &dw_used)?);
                    let db = gpu.storage("bias grad", s.outputs as usize);
                    out.push(s.backward_bias(gpu, &dy, &db)?);
                    updates.push((w.param, self.weight_grad(&w, dw_used, &mut out)?, db));
                    if first {
                        None
                    } else {
                        let dx = gpu.storage("grad", (s.n * s.inputs) as usize);
                        out.push(s.backward_input(gpu, &dy, &w.used, &dx)?);
                        Some(dx)
                    }
                }
            };
        }
        for (param, dw, db) in updates {
            let p = &self.net.params[param];
            let adam = self.opts.adam;
            out.push(AdamParams::new(p.weight_len, adam).dispatch(gpu, step, &dw, &p.weight, &p.weight_m, &p.weight_v)?);
            out.push(AdamParams::new(p.bias_len, adam).dispatch(gpu, step, &db, &p.bias, &p.bias_m, &p.bias_v)?);
        }
        Ok(out)
    }

    /// Gradient with respect to the float weights: through the weight fake quant's
    /// straight-through mask when there is one.
    fn weight_grad(&self, w: &WeightUse, dw_used: wgpu::Buffer, out: &mut Vec<Dispatch>) -> Result<wgpu::Buffer> {
        let Some(fq) = w.fake_quant else { return Ok(dw_used) };
        let p = &self.net.params[w.param];
        let dw = self.gpu.storage("weight grad", p.weight_len);
        out.push(fq.backward(self.gpu, &p.weight, &p.weight_range, &dw_used, &dw)?);
        Ok(dw)
    }
}

impl Plan {
    /// Records the work of one batch of `opts.batch` samples drawn from `data` through an
    /// order buffer of `order_len` entries.
    pub fn build(gpu: &Gpu, net: &Network, data: &GpuDataset, order_len: usize, opts: PlanOptions) -> Result<Plan> {
        gpu.scoped("recording a training step", || {
            let classes = net.spec.classes()?;
            let n = opts.batch;
            let step = crate::gpu::buffers::uniform(&gpu.device, "step", &StepUniform::new(0, 1, opts.adam.lr));
            let order = gpu.storage("order", order_len);
            let x = gpu.storage("batch images", n as usize * data.pixels);
            let labels = gpu.storage("batch labels", n as usize);
            let totals = gpu.storage("totals", TOTALS_WORDS);
            let mut b = Builder { gpu, net, opts, forward: Vec::new(), back: Vec::new(), flops: 0 };
            b.forward.push(GatherParams::new(n, data.pixels as u32).dispatch(gpu, &step, &data.images, &data.labels, &order, &x, &labels)?);
            let logits = b.forward(x)?;
            let mut dispatches = std::mem::take(&mut b.forward);
            let mut flops = b.flops;
            if opts.train {
                let loss = LossParams::new(n, classes);
                let dlogits = gpu.storage("logits grad", (n * classes) as usize);
                let per_sample = gpu.storage("per-sample loss", 2 * n as usize);
                dispatches.push(loss.forward_backward(gpu, &logits, &labels, &dlogits, &per_sample)?);
                dispatches.push(loss.accumulate(gpu, &per_sample, &totals)?);
                dispatches.extend(b.backward(dlogits, &step)?);
            } else {
                flops /= 3;
            }
            Ok(Plan { dispatches, step, order, order_len, logits, labels, totals, batch: n, classes, flops_per_step: flops })
        })
    }

    /// Replays the plan for the batch starting at `batch_start` in the order buffer; `t` is
    /// Adam's step number and `lr` its learning rate. One write of 16 bytes, one submit.
    pub fn run(&self, gpu: &Gpu, batch_start: u32, t: u32, lr: f32) -> Result<()> {
        let s = StepUniform::new(batch_start, t, lr);
        gpu.queue.write_buffer(&self.step, 0, bytemuck::bytes_of(&s));
        gpu.run(&self.dispatches)
    }

    /// Reads and clears the running totals: (mean loss, accuracy, samples, non-finite seen).
    pub fn take_totals(&self, gpu: &Gpu) -> Result<(f32, f32, usize, bool)> {
        let t: Vec<f32> = gpu.read(&self.totals, TOTALS_WORDS)?;
        gpu.queue.write_buffer(&self.totals, 0, bytemuck::cast_slice(&[0.0f32; TOTALS_WORDS]));
        let samples = t[2].max(1.0);
        Ok((t[0] / samples, t[1] / samples, t[2] as usize, t[3] != 0.0))
    }
}
