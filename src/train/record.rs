//! The recording context of a training step: what a layer kind's `record` is handed
//! (`Builder`: its inputs' buffers, the weights as the step uses them, the output's activation
//! and fake quant, and the record its backward needs) and what a backward is handed
//! (`Backward`: gradients per tensor and the optimizer updates). `train::plan` drives both over
//! the model's nodes.
//!
//! Fake quant goes where `model::placement` says: the model input, every weight (per channel or
//! per tensor, symmetric, last-value ranges, widened where a bias needs it) and the outputs it
//! lists (moving-average ranges). Conv and depthwise outputs are fake-quantized with the int8
//! model's double rounding simulated (`qat_int8::quant::double_rounding`): their margins come
//! from the step's input, weight and output ranges, recorded just before the fake quant.
//!
//! Batch norm during QAT is folded as in Krishnamoorthi 2018 (section 3.2): with
//! s = gamma / sqrt(moving_var + eps), the conv runs with FQ(w * s), the weights the int8 model
//! holds, and its output is multiplied by 1 / s and batch-normalized, with batch statistics
//! until BN is frozen and the moving ones after; frozen, this is exactly conv(x, FQ(w s)) +
//! beta - s * mean, the folded int8 layer. Gradients flow to w through the straight-through
//! estimator with s held constant.

use crate::gpu::{dispatch::Dispatch, Gpu};
use crate::model::placement::OutputQuant;
use crate::ops::adam::{AdamConfig, AdamParams};
use crate::ops::batch_norm::{BatchNorm, Statistics, MOMENTUM};
use crate::ops::elementwise::{AddParams, ChannelScaleParams};
use crate::ops::fake_quant::{FakeQuantParams, MarginParams};
use crate::ops::gather::Augment;
use crate::ops::observer::{ActivationRangeParams, BiasRoomParams, RangeMode, WeightRangeParams};
use crate::ops::relu::ReluParams;
use crate::train::network::Network;
use crate::{QatError, Result};
use qat_int8::quant::clamp::Activation;
use qat_int8::quant::fake_quant::Grid;

#[derive(Debug, Clone, Copy)]
/// What a plan records.
pub struct PlanOptions {
    /// Samples per step.
    pub batch: u32,
    /// Micro-batches the step's batch is split into (a divisor of `batch`; 1: none). Each
    /// micro-batch runs the forward and backward on its `batch / micro_batches` samples and
    /// adds its parameter gradients up; the optimizer then steps once on their mean. What a
    /// split step computes otherwise: batch norm's batch statistics (and its moving statistics'
    /// updates), the moving-average activation ranges and the loss totals are per micro-batch.
    pub micro_batches: u32,
    /// Insert fake quant (and fold batch norm).
    pub qat: bool,
    /// Record loss, backward and optimizer (and update observers and moving statistics).
    pub train: bool,
    /// Batch norm uses (and keeps) its moving statistics even when training.
    pub bn_frozen: bool,
    /// Adam's hyper-parameters.
    pub adam: AdamConfig,
    /// Moving-average decay of activation ranges.
    pub decay: f32,
    /// Bits of the fake-quant grids.
    pub bits: u32,
    /// Random crop and flip of the gathered batch (train plans only).
    pub augment: Augment,
    /// Post-training calibration (with `qat` and `train` false): the input and every observed
    /// activation get their range over all values seen, nothing is fake-quantized.
    pub calibrate: bool,
}

impl PlanOptions {
    /// A training step of `batch` samples (float, or QAT with `qat`): Adam's defaults, range
    /// decay 0.999, 8 bits, no augmentation.
    pub fn training(batch: u32, qat: bool) -> PlanOptions {
        PlanOptions {
            batch,
            micro_batches: 1,
            qat,
            train: true,
            bn_frozen: false,
            adam: AdamConfig::default(),
            decay: 0.999,
            bits: 8,
            augment: Augment::default(),
            calibrate: false,
        }
    }

    /// An evaluation forward pass (no training, batch norm frozen) on `bits`-bit grids.
    pub fn evaluation(batch: u32, qat: bool, bits: u32) -> PlanOptions {
        PlanOptions { train: false, bn_frozen: true, bits, ..Self::training(batch, qat) }
    }

    /// Samples per micro-batch: what every buffer of the recorded step holds.
    pub fn micro_batch(&self) -> u32 {
        self.batch / self.micro_batches.max(1)
    }
}

/// The kernels of a weighted layer (conv2d, depthwise, dense), implemented by each weighted
/// kind's parameters in `layers/`.
pub trait WeightedKernel {
    /// Elements of the output (whole batch).
    fn output_len(&self) -> usize;
    /// Elements of the input (whole batch).
    fn input_len(&self) -> usize;
    /// (rows, channels) of the output as a matrix: bias gradients and batch norm.
    fn rows_channels(&self) -> (u32, u32);
    /// Multiply-adds of one forward.
    fn macs(&self) -> u64;
    /// Whether `forward` can apply the layer's (capped) ReLU itself (its epilogue).
    fn fuses_relu(&self) -> bool {
        false
    }
    /// y = x * w + b, then min(max(y, 0), cap) for `relu` = `Some(cap)`, which is only asked of
    /// a kernel that `fuses_relu` (one or more dispatches, in order).
    fn forward(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: &wgpu::Buffer,
        y: &wgpu::Buffer,
        relu: Option<f32>,
    ) -> Result<Vec<Dispatch>>;
    /// dx from dy and w.
    fn backward_input(&self, gpu: &Gpu, dy: &wgpu::Buffer, w: &wgpu::Buffer, dx: &wgpu::Buffer) -> Result<Dispatch>;
    /// dw from x and dy, and db (the column sums of dy as `rows_channels`) when given (one or
    /// more dispatches, in order).
    fn backward_weight(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) -> Result<Vec<Dispatch>>;
}

/// What a layer's backward needs, recorded by its forward (`layers::Behaviour::record`).
pub trait Recorded {
    /// Records the backward given `dy`, the gradient of the layer's output.
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()>;
}

/// The weights a layer's forward used.
struct WeightUse {
    param: usize,
    /// What fake quant read: the float weights, or w * s when batch norm is folded.
    src: wgpu::Buffer,
    /// What the kernel read.
    used: wgpu::Buffer,
    fake_quant: Option<FakeQuantParams>,
}

struct BnRec {
    bn: BatchNorm,
    /// The batch norm's input (the conv output, un-scaled when folded).
    input: wgpu::Buffer,
    stats: wgpu::Buffer,
    statistics: Statistics,
}

struct FqRec {
    p: FakeQuantParams,
    x: wgpu::Buffer,
    range: wgpu::Buffer,
}

struct ActRec {
    p: ReluParams,
    /// The activation's output.
    y: wgpu::Buffer,
}

/// The output fake quant and activation of a layer, as its forward recorded them.
pub struct Epilogue {
    act: Option<ActRec>,
    fq: Option<FqRec>,
}

/// What the backward of a weighted layer needs.
struct WeightedRec {
    kernel: Box<dyn WeightedKernel>,
    input: usize,
    x: wgpu::Buffer,
    w: WeightUse,
    bn: Option<Box<BnRec>>,
    epilogue: Epilogue,
}

/// Records the forward of a training step, node by node (each kind's `layers::Behaviour::record`
/// calls into it).
pub struct Builder<'a> {
    pub(crate) gpu: &'a Gpu,
    pub(crate) net: &'a Network,
    pub(crate) opts: PlanOptions,
    pub(crate) forward: Vec<Dispatch>,
    pub(crate) recs: Vec<Box<dyn Recorded>>,
    /// Buffer and length of every tensor (0: the model input).
    pub(crate) outs: Vec<(wgpu::Buffer, usize)>,
    pub(crate) flops: u64,
}

fn cap(a: Activation) -> Option<f32> {
    match a {
        Activation::None => None,
        Activation::Relu => Some(f32::MAX),
        Activation::Relu6 => Some(6.0),
    }
}

impl Builder<'_> {
    /// Fake quant of `x` with `range` (observed first when `observe` says how and the plan
    /// trains); where `requantized_by` names a node whose int8 op requantizes with double
    /// rounding, with that rounding simulated (`requantized_margins`).
    fn fake_quant(
        &mut self,
        x: &wgpu::Buffer,
        count: usize,
        range: wgpu::Buffer,
        observe: Option<RangeMode>,
        requantized_by: Option<usize>,
    ) -> Result<(wgpu::Buffer, FqRec)> {
        if let (Some(mode), true) = (observe, self.opts.train) {
            self.forward.extend(ActivationRangeParams::new(count, mode).dispatch(self.gpu, x, &range)?);
        }
        let p = FakeQuantParams::new(count, 1, count.max(1), Grid::activation(self.opts.bits));
        let y = self.gpu.storage("fake-quant activation", count);
        let margins = match requantized_by {
            Some(k) => self.requantized_margins(k, &range)?,
            None => None,
        };
        self.forward.push(match margins {
            Some((margins, channels)) => p.forward_requantized(self.gpu, x, &range, &margins, channels, &y)?,
            None => p.forward(self.gpu, x, &range, &y)?,
        });
        Ok((y, FqRec { p, x: x.clone(), range }))
    }

    /// The double-rounding margins of weighted node `k`'s output channels (one where its weights
    /// are quantized per tensor), recorded from its input, weight and `output` ranges of this
    /// step: the buffer and the number of margins. None for a kind whose int8 op rounds once.
    fn requantized_margins(&mut self, k: usize, output: &wgpu::Buffer) -> Result<Option<(wgpu::Buffer, u32)>> {
        let node = &self.net.spec.nodes[k];
        let (Some(param), Some(input)) = (self.net.param_index(k), self.net.tensor_range(node.inputs[0])) else {
            return Ok(None);
        };
        if !node.layer.kind().double_rounding() {
            return Ok(None);
        }
        let p = &self.net.params[param];
        let (groups, _) = p.range_layout();
        let channels = if groups == 1 { 1 } else { p.geometry.channels };
        let mp = MarginParams::new(channels, groups, Grid::activation(self.opts.bits), Grid::weight(self.opts.bits));
        let margins = self.gpu.storage("double-rounding margins", mp.margins_len());
        self.forward.push(mp.dispatch(self.gpu, &input, &p.weight_range, output, &margins)?);
        Ok(Some((margins, channels as u32)))
    }

    /// The activation and output fake quant of node `k` (as `model::placement` says) on its
    /// output `y` of `count` elements; returns the result and what the backward needs.
    pub fn epilogue(&mut self, k: usize, y: wgpu::Buffer, count: usize) -> Result<(wgpu::Buffer, Epilogue)> {
        self.epilogue_after(k, y, count, false)
    }

    /// `epilogue`, where `relu_done` says the producing kernel already applied the activation
    /// (a fused ReLU): `y` is then the activation's output.
    fn epilogue_after(
        &mut self,
        k: usize,
        y: wgpu::Buffer,
        count: usize,
        relu_done: bool,
    ) -> Result<(wgpu::Buffer, Epilogue)> {
        let node = &self.net.spec.nodes[k];
        let mut y = y;
        let mut act = None;
        if let Some(c) = cap(node.layer.activation()) {
            let p = ReluParams::capped(count, c);
            if !relu_done {
                let a = self.gpu.storage("activation", count);
                self.forward.push(p.forward(self.gpu, &y, &a)?);
                y = a;
            }
            // The ReLU's backward reads its output.
            act = Some(ActRec { p, y: y.clone() });
        }
        if self.opts.calibrate {
            if let (OutputQuant::Own, Some(range)) = (self.net.placement[k], &self.net.output_ranges[k]) {
                self.forward
                    .extend(ActivationRangeParams::new(count, RangeMode::AllSeen).dispatch(self.gpu, &y, range)?);
            }
            return Ok((y, Epilogue { act, fq: None }));
        }
        if !self.opts.qat {
            return Ok((y, Epilogue { act, fq: None }));
        }
        let missing = || QatError::Invalid(format!("layer {:?} has no activation range", node.name));
        let (y, fq) = match self.net.placement[k] {
            OutputQuant::Own => {
                let range = self.net.output_ranges[k].clone().ok_or_else(missing)?;
                let observe = Some(RangeMode::MovingAverage { decay: self.opts.decay });
                let (y, r) = self.fake_quant(&y, count, range, observe, Some(k))?;
                (y, Some(r))
            }
            OutputQuant::InputRange => {
                let range = self.net.tensor_range(node.inputs[0]).ok_or_else(missing)?;
                let (y, r) = self.fake_quant(&y, count, range, None, None)?;
                (y, Some(r))
            }
            OutputQuant::SameAsInput | OutputQuant::Deferred(_) => (y, None),
        };
        Ok((y, Epilogue { act, fq }))
    }

    /// The weights of `param` for the forward pass: folded with batch norm and fake-quantized
    /// when training QAT.
    fn weights(&mut self, param: usize) -> Result<WeightUse> {
        let p = &self.net.params[param];
        let g = p.geometry;
        let mut src = p.weight.clone();
        if !self.opts.qat {
            return Ok(WeightUse { param, used: src.clone(), src, fake_quant: None });
        }
        if let Some(b) = &p.bn {
            let bn = BatchNorm::new(1, b.channels as u32);
            self.forward.push(bn.fold_scale(self.gpu, &b.affine, &b.moving, &b.scale, &b.inv_scale)?);
            let folded = self.gpu.storage("folded weight", g.weight_len);
            self.forward.push(
                ChannelScaleParams::with_inner(g.weight_len, g.channels, g.inner)
                    .dispatch(self.gpu, &p.weight, &b.scale, &folded)?,
            );
            src = folded;
        }
        let (groups, inner) = p.range_layout();
        self.forward.push(WeightRangeParams::new(g.weight_len, groups, inner).dispatch(
            self.gpu,
            &src,
            &p.weight_range,
        )?);
        // Widened where a channel's int32 bias needs it, as the export widens it.
        let node = &self.net.spec.nodes[p.node];
        if let Some(input_range) = self.net.tensor_range(node.inputs[0]) {
            let taps = (g.weight_len / g.channels.max(1)) as u64;
            let (act, weight) = (Grid::activation(self.opts.bits), Grid::weight(self.opts.bits));
            let room = BiasRoomParams::new(g.channels, groups, taps, p.bn.is_some(), act, weight);
            let (affine, moving, scale) = match &p.bn {
                Some(b) => (&b.affine, &b.moving, &b.scale),
                None => (&p.bias, &p.bias, &p.bias),
            };
            self.forward.push(room.dispatch(
                self.gpu,
                &input_range,
                &p.bias,
                affine,
                moving,
                scale,
                &p.weight_range,
            )?);
        }
        let fq = FakeQuantParams::new(g.weight_len, groups, inner, Grid::weight(self.opts.bits));
        let used = self.gpu.storage("fake-quant weight", g.weight_len);
        self.forward.push(fq.forward(self.gpu, &src, &p.weight_range, &used)?);
        Ok(WeightUse { param, src, used, fake_quant: Some(fq) })
    }

    /// Records weighted node `k` run by `kernel`: its weights (folded with batch norm and
    /// fake-quantized under QAT), the kernel, batch norm, then the epilogue.
    pub fn weighted(&mut self, k: usize, kernel: Box<dyn WeightedKernel>) -> Result<(wgpu::Buffer, usize)> {
        let gpu = self.gpu;
        let node = &self.net.spec.nodes[k];
        let input = node.inputs[0];
        let param = self
            .net
            .param_index(k)
            .ok_or_else(|| QatError::Invalid(format!("layer {:?} has no parameters", node.name)))?;
        let w = self.weights(param)?;
        let x = self.outs[input].0.clone();
        let len = kernel.output_len();
        let z = gpu.storage("layer output", len);
        // Without batch norm between them, the kernel applies the activation itself.
        let has_bn = self.net.params[param].bn.is_some();
        let relu = if has_bn || !kernel.fuses_relu() { None } else { cap(node.layer.activation()) };
        self.forward.extend(kernel.forward(gpu, &x, &w.used, &self.net.params[param].bias, &z, relu)?);
        self.flops += 6 * kernel.macs();
        let mut y = z.clone();
        let mut bn_rec = None;
        if let Some(b) = &self.net.params[param].bn {
            let (rows, channels) = kernel.rows_channels();
            let bn = BatchNorm::new(rows, channels);
            let input = if self.opts.qat {
                let unscaled = gpu.storage("unscaled conv output", len);
                self.forward.push(ChannelScaleParams::new(len, channels as usize).dispatch(
                    gpu,
                    &z,
                    &b.inv_scale,
                    &unscaled,
                )?);
                unscaled
            } else {
                z
            };
            let (stats, statistics) = if self.opts.train && !self.opts.bn_frozen {
                let batch = gpu.storage("batch statistics", 2 * channels as usize);
                self.forward.extend(bn.statistics(gpu, &input, &batch)?);
                self.forward.push(bn.update_moving(gpu, MOMENTUM, &batch, &b.moving)?);
                (batch, Statistics::Batch)
            } else {
                (b.moving.clone(), Statistics::Fixed)
            };
            let normalized = gpu.storage("batch norm output", len);
            self.forward.push(bn.forward(gpu, &input, &stats, &b.affine, &normalized)?);
            y = normalized;
            bn_rec = Some(Box::new(BnRec { bn, input, stats, statistics }));
        }
        let (y, epilogue) = self.epilogue_after(k, y, len, relu.is_some())?;
        self.recs.push(Box::new(WeightedRec { kernel, input, x, w, bn: bn_rec, epilogue }));
        Ok((y, len))
    }

    /// The GPU the step is recorded on.
    pub fn gpu(&self) -> &Gpu {
        self.gpu
    }
    /// The samples this recording holds: the micro-batch (the batch when the step is not split).
    pub fn batch(&self) -> u32 {
        self.opts.micro_batch()
    }
    /// The model's node `k`.
    pub fn node_of(&self, k: usize) -> &crate::model::spec::Node {
        &self.net.spec.nodes[k]
    }
    /// The shape [h, w, c] of tensor `t` (one image).
    pub fn shape(&self, t: usize) -> [u32; 3] {
        self.net.tensor_shape(t)
    }
    /// The buffer and length (whole batch) of tensor `t`.
    pub fn tensor(&self, t: usize) -> (wgpu::Buffer, usize) {
        self.outs[t].clone()
    }
    /// Appends a dispatch to the forward.
    pub fn push(&mut self, d: Dispatch) {
        self.forward.push(d);
    }
    /// Keeps what the node's backward needs (one record per node, in node order).
    pub fn record(&mut self, r: Box<dyn Recorded>) {
        self.recs.push(r);
    }

    /// Takes the gathered batch `x` as the model input: observed (calibration) and
    /// fake-quantized (QAT) as the input's placement says, then tensor 0.
    pub(crate) fn begin(&mut self, x: wgpu::Buffer) -> Result<()> {
        let input_len = self.opts.micro_batch() as usize * self.net.spec.input.iter().product::<u32>() as usize;
        if self.opts.calibrate {
            let observe = ActivationRangeParams::new(input_len, RangeMode::AllSeen);
            self.forward.extend(observe.dispatch(self.gpu, &x, &self.net.input_range)?);
        }
        let x = if self.opts.qat {
            self.fake_quant(&x, input_len, self.net.input_range.clone(), Some(RangeMode::AllSeen), None)?.0
        } else {
            x
        };
        self.outs.push((x, input_len));
        Ok(())
    }
}

/// Backward recording: gradients per tensor, summed where a tensor has several readers.
pub struct Backward<'a> {
    pub(crate) gpu: &'a Gpu,
    pub(crate) net: &'a Network,
    pub(crate) opts: PlanOptions,
    pub(crate) out: Vec<Dispatch>,
    pub(crate) updates: Vec<Dispatch>,
    /// Each parameter gradient the updates read, with its length.
    pub(crate) updated: Vec<(usize, wgpu::Buffer)>,
    pub(crate) grads: Vec<Option<wgpu::Buffer>>,
    pub(crate) step: &'a wgpu::Buffer,
    pub(crate) totals: &'a wgpu::Buffer,
}

impl Backward<'_> {
    /// The GPU the step is recorded on.
    pub fn gpu(&self) -> &Gpu {
        self.gpu
    }
    /// Elements of tensor `t` over the (micro-)batch.
    pub fn tensor_len(&self, t: usize) -> usize {
        self.net.tensor_shape(t).iter().product::<u32>() as usize * self.opts.micro_batch() as usize
    }
    /// Appends a dispatch to the backward.
    pub fn push(&mut self, d: Dispatch) {
        self.out.push(d);
    }

    /// Adds `g` (length `len`) to the gradient of tensor `t`; the model input needs none.
    pub fn give(&mut self, t: usize, g: wgpu::Buffer, len: usize) -> Result<()> {
        if t == 0 {
            return Ok(());
        }
        self.grads[t] = Some(match self.grads[t].take() {
            None => g,
            Some(prev) => {
                let sum = self.gpu.storage("grad sum", len);
                self.out.push(AddParams::new(len).dispatch(self.gpu, &prev, &g, &sum)?);
                sum
            }
        });
        Ok(())
    }

    /// `dy` through the output fake quant and the activation, back to the layer's own output.
    pub fn epilogue(&mut self, e: &Epilogue, dy: wgpu::Buffer) -> Result<wgpu::Buffer> {
        match (&e.fq, &e.act) {
            (None, None) => Ok(dy),
            (Some(f), act) => {
                // The fake quant reads the activation's output: one kernel applies both gradients.
                let p = act.as_ref().map_or(f.p, |a| f.p.after_relu(a.p.cap));
                let dx = self.gpu.storage("grad", f.p.count as usize);
                self.out.push(p.backward(self.gpu, &f.x, &f.range, &dy, &dx)?);
                Ok(dx)
            }
            (None, Some(a)) => {
                let dx = self.gpu.storage("grad", a.p.count as usize);
                self.out.push(a.p.backward(self.gpu, &a.y, &dy, &dx)?);
                Ok(dx)
            }
        }
    }

    fn adam(
        &mut self,
        len: usize,
        grad: &wgpu::Buffer,
        w: &wgpu::Buffer,
        m: &wgpu::Buffer,
        v: &wgpu::Buffer,
    ) -> Result<()> {
        if len > 0 {
            self.updated.push((len, grad.clone()));
            self.updates.push(AdamParams::new(len, self.opts.adam).dispatch(
                self.gpu,
                self.step,
                grad,
                w,
                m,
                v,
                self.totals,
            )?);
        }
        Ok(())
    }
}

impl Recorded for WeightedRec {
    fn backward(&self, back: &mut Backward, dy: wgpu::Buffer) -> Result<()> {
        let gpu = back.gpu;
        let WeightedRec { kernel, input, x, w, bn, epilogue } = self;
        let dy = back.epilogue(epilogue, dy)?;
        let p = &back.net.params[w.param];
        let g = p.geometry;
        let len = kernel.output_len();
        let dz = match (bn, &p.bn) {
            (Some(r), Some(b)) => {
                let daffine = gpu.storage("bn grad", 2 * b.channels);
                back.out.extend(r.bn.backward_affine(gpu, &r.input, &dy, &r.stats, &daffine)?);
                let d_in = gpu.storage("grad", len);
                back.out.push(r.bn.backward_input(
                    gpu,
                    r.statistics,
                    &r.input,
                    &dy,
                    &r.stats,
                    &b.affine,
                    &daffine,
                    &d_in,
                )?);
                back.adam(2 * b.channels, &daffine, &b.affine, &b.affine_m, &b.affine_v)?;
                if back.opts.qat {
                    let dz = gpu.storage("grad", len);
                    back.out.push(ChannelScaleParams::new(len, b.channels).dispatch(gpu, &d_in, &b.inv_scale, &dz)?);
                    dz
                } else {
                    d_in
                }
            }
            _ => dy,
        };
        let dw_used = gpu.storage("weight grad", g.weight_len);
        let db = (g.bias_len > 0).then(|| gpu.storage("bias grad", g.bias_len));
        back.out.extend(kernel.backward_weight(gpu, x, &dz, &dw_used, db.as_ref())?);
        if let Some(db) = &db {
            back.adam(g.bias_len, db, &p.bias, &p.bias_m, &p.bias_v)?;
        }
        let mut dw = dw_used;
        if let Some(fq) = w.fake_quant {
            let d = gpu.storage("weight grad", g.weight_len);
            back.out.push(fq.backward(gpu, &w.src, &p.weight_range, &dw, &d)?);
            dw = d;
        }
        if let (true, Some(b)) = (back.opts.qat, &p.bn) {
            let d = gpu.storage("weight grad", g.weight_len);
            back.out.push(
                ChannelScaleParams::with_inner(g.weight_len, g.channels, g.inner).dispatch(gpu, &dw, &b.scale, &d)?,
            );
            dw = d;
        }
        back.adam(g.weight_len, &dw, &p.weight, &p.weight_m, &p.weight_v)?;
        if *input != 0 {
            let dx = gpu.storage("grad", kernel.input_len());
            back.out.push(kernel.backward_input(gpu, &dz, &w.used, &dx)?);
            back.give(*input, dx, kernel.input_len())?;
        }
        Ok(())
    }
}
