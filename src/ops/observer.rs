//! Range observers on the GPU: activation ranges (moving average or all values seen, one
//! tensor-wide range `[min, max, seen]`), last-value symmetric weight ranges per channel, and
//! their widening where a channel's int32 bias needs it (`BiasRoomParams`, the rule
//! `quant::bias_scale`).

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, Gpu};
use crate::Result;
use qat_int8::quant::fake_quant::Grid as QuantGrid;

/// How an activation range follows the batches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RangeMode {
    /// range -= (1 - decay) * (range - batch range), after the first batch sets it.
    MovingAverage {
        /// Weight of the old range (tfmot: 0.999).
        decay: f32,
    },
    /// The min and max of everything seen (used for the model input).
    AllSeen,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of observer/activation_range.wgsl.
pub struct ActivationRangeParams {
    /// Elements.
    pub count: u32,
    /// 0: moving average, 1: all seen.
    pub mode: u32,
    /// The moving average's decay.
    pub decay: f32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: u32,
}

crate::uniform_fields!(ActivationRangeParams: count, mode, decay, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of observer/weight_range.wgsl.
pub struct WeightRangeParams {
    /// Channels.
    pub channels: u32,
    /// Channel of element i: (i / inner) % channels.
    pub inner: u32,
    /// Elements.
    pub count: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: u32,
}

crate::uniform_fields!(WeightRangeParams: channels, inner, count, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of observer/bias_widened_range.wgsl: widening the weight ranges of a
/// layer so its int32 biases fit (`quant::bias_scale`).
pub struct BiasRoomParams {
    /// Output channels (biases).
    pub channels: u32,
    /// Weight ranges: 1 (per tensor) or `channels`.
    pub ranges: u32,
    /// 1: the bias is batch norm's folded one (beta - s * moving_mean); 0: the layer's bias.
    pub folded: u32,
    /// Padding (WGSL alignment).
    pub _pad0: u32,
    /// The largest |int32 bias| (`quant::bias_scale::bias_limit` of the layer's taps).
    pub limit: f32,
    /// Steps of the weight grid on each side of zero (127 at 8 bits).
    pub half_steps: f32,
    /// The activation grid's lowest point (the input's scale is nudged on it).
    pub act_qmin: f32,
    /// The activation grid's highest point.
    pub act_qmax: f32,
}

crate::uniform_fields!(BiasRoomParams: channels, ranges, folded, _pad0, limit, half_steps, act_qmin, act_qmax);

impl BiasRoomParams {
    /// The widening of `ranges` ranges of a layer with `channels` biases summing `taps`
    /// products each, on `act` and `weight` grids.
    pub fn new(channels: usize, ranges: usize, taps: u64, folded: bool, act: QuantGrid, weight: QuantGrid) -> Self {
        BiasRoomParams {
            channels: channels as u32,
            ranges: ranges as u32,
            folded: folded as u32,
            _pad0: 0,
            limit: qat_int8::quant::bias_scale::bias_limit(taps),
            half_steps: (weight.qmax - weight.qmin) as f32 / 2.0,
            act_qmin: act.qmin as f32,
            act_qmax: act.qmax as f32,
        }
    }
    /// Records the widening of `ranges` in place: `input_range` [min, max, ..], `bias` the layer's
    /// biases, and with `folded` batch norm's `affine`, `moving` and `fold_scale` (else any
    /// buffers: they are not read).
    #[allow(clippy::too_many_arguments)]
    pub fn dispatch(
        &self,
        gpu: &Gpu,
        input_range: &wgpu::Buffer,
        bias: &wgpu::Buffer,
        affine: &wgpu::Buffer,
        moving: &wgpu::Buffer,
        fold_scale: &wgpu::Buffer,
        ranges: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        Dispatch::new(
            gpu,
            &BIAS_WIDENED_RANGE,
            self,
            &[input_range, bias, affine, moving, fold_scale, ranges],
            Grid::items(self.ranges as usize, crate::gpu::dispatch::WORKGROUP_SIZE),
        )
    }
}

/// Words in an activation range buffer: min, max, seen flag.
pub const ACTIVATION_RANGE_WORDS: usize = 3;

impl ActivationRangeParams {
    /// An observer of `count` elements.
    pub fn new(count: usize, mode: RangeMode) -> Self {
        let (mode, decay) = match mode {
            RangeMode::MovingAverage { decay } => (0, decay),
            RangeMode::AllSeen => (1, 0.0),
        };
        ActivationRangeParams { count: count as u32, mode, decay, _pad: 0 }
    }
    /// Records the update of `range` = [min, max, seen] from x: the batch range in slices
    /// (observer/batch_range.wgsl, about 4096 values per workgroup, at most 1024 workgroups,
    /// into a buffer made here), then their reduction and the update.
    pub fn dispatch(&self, gpu: &Gpu, x: &wgpu::Buffer, range: &wgpu::Buffer) -> Result<Vec<Dispatch>> {
        let groups = (self.count as usize).div_ceil(4096).clamp(1, 1024);
        let partial = gpu.storage("activation range partials", 2 * groups);
        let reduce = ActivationRangeParams { count: groups as u32, ..*self };
        Ok(vec![
            Dispatch::new(gpu, &BATCH_RANGE, self, &[x, &partial], Grid(groups as u32, 1, 1))?,
            Dispatch::new(gpu, &ACTIVATION_RANGE, &reduce, &[&partial, range], Grid(1, 1, 1))?,
        ])
    }
}

impl WeightRangeParams {
    /// Ranges of `count` weights in `channels` groups, element i in group (i / inner) % channels.
    pub fn new(count: usize, channels: usize, inner: usize) -> Self {
        WeightRangeParams { channels: channels as u32, inner: inner.max(1) as u32, count: count as u32, _pad: 0 }
    }
    /// Records ranges = [-max |w|, max |w|] per channel.
    pub fn dispatch(&self, gpu: &Gpu, w: &wgpu::Buffer, ranges: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, &WEIGHT_RANGE, self, &[w, ranges], Grid(self.channels.max(1), 1, 1))
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `observer/batch_range`: shaders/observer/batch_range.wgsl.
#[rustfmt::skip]
pub static BATCH_RANGE: Kernel<ActivationRangeParams> = crate::kernel!("observer/batch_range", ActivationRangeParams, [R, W]);
/// `observer/activation_range`: shaders/observer/activation_range.wgsl.
#[rustfmt::skip]
pub static ACTIVATION_RANGE: Kernel<ActivationRangeParams> = crate::kernel!("observer/activation_range", ActivationRangeParams, [R, W]);
/// `observer/weight_range`: shaders/observer/weight_range.wgsl.
#[rustfmt::skip]
pub static WEIGHT_RANGE: Kernel<WeightRangeParams> = crate::kernel!("observer/weight_range", WeightRangeParams, [R, W]);
/// `observer/bias_widened_range`: shaders/observer/bias_widened_range.wgsl.
#[rustfmt::skip]
pub static BIAS_WIDENED_RANGE: Kernel<BiasRoomParams> = crate::kernel!("observer/bias_widened_range", BiasRoomParams, [R, R, R, R, R, W], "fake_quant/nudge");
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] =
    &[&BATCH_RANGE.shader, &ACTIVATION_RANGE.shader, &WEIGHT_RANGE.shader, &BIAS_WIDENED_RANGE.shader];

/// Twins of the range-observer kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use crate::ops::observer::RangeMode;

    /// Twin of observer/activation_range.wgsl: updates `range = [min, max, seen]` in place.
    pub fn activation_range_update(x: &[f32], range: &mut [f32; 3], mode: RangeMode) {
        let bmin = x.iter().fold(0.0f32, |a, &v| a.min(v));
        let bmax = x.iter().fold(0.0f32, |a, &v| a.max(v));
        if range[2] == 0.0 {
            *range = [bmin, bmax, 1.0];
            return;
        }
        match mode {
            RangeMode::MovingAverage { decay } => {
                range[0] -= (1.0 - decay) * (range[0] - bmin);
                range[1] -= (1.0 - decay) * (range[1] - bmax);
            }
            RangeMode::AllSeen => {
                range[0] = range[0].min(bmin);
                range[1] = range[1].max(bmax);
            }
        }
    }

    /// Twin of observer/weight_range.wgsl: [-max|w|, max|w|] per channel, element i in channel
    /// (i / inner) % channels.
    pub fn weight_range(w: &[f32], channels: usize, inner: usize) -> Vec<f32> {
        qat_int8::quant::fake_quant::symmetric_ranges(w, channels, inner)
    }

    /// Twin of observer/bias_widened_range.wgsl: `ranges` ([min, max] per range, one range or
    /// one per channel) widened in place so the int32 biases `bias` (already folded) fit.
    pub fn bias_widened_range(
        ranges: &mut [f32],
        bias: &[f32],
        input_range: &[f32],
        p: &crate::ops::observer::BiasRoomParams,
    ) {
        let act = qat_int8::quant::fake_quant::Grid { bits: 8, qmin: p.act_qmin as i32, qmax: p.act_qmax as i32 };
        let s_in = qat_int8::quant::fake_quant::nudge(input_range[0], input_range[1], act).scale;
        let groups = ranges.len() / 2;
        for g in 0..groups {
            let covered: Vec<usize> = if groups == 1 { (0..bias.len()).collect() } else { vec![g] };
            let half = covered.iter().fold(ranges[2 * g + 1], |h, &c| {
                qat_int8::quant::bias_scale::widened(h, bias[c], s_in, p.limit, p.half_steps)
            });
            ranges[2 * g] = -half;
            ranges[2 * g + 1] = half;
        }
    }
}
