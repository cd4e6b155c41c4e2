//! Fake quant kernels (forward and straight-through backward), per tensor or per channel, and
//! the fake quant of conv and depthwise outputs that simulates the int8 model's double rounding
//! (`forward_requantized`, its margins from `MarginParams`). The nudging rule itself is
//! `quant::fake_quant`, the margin rule `quant::double_rounding`; the WGSL restates them in f32
//! in the same order.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, pipelines::Specialization, Gpu};
use crate::Result;
use qat_int8::quant::fake_quant::Grid as QuantGrid;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the fake-quant kernels (shaders/fake_quant/).
pub struct FakeQuantParams {
    /// Elements.
    pub count: u32,
    /// Number of ranges; element i uses range (i / inner) % channels.
    pub channels: u32,
    /// Elements per channel run (see `channels`).
    pub inner: u32,
    /// Padding (WGSL alignment).
    pub _pad0: u32,
    /// The lowest grid point.
    pub qmin: f32,
    /// The highest grid point.
    pub qmax: f32,
    /// Backward only: the gradient also passes only where `pass_above < x < pass_below`, the
    /// open interval of a ReLU (0, cap) folded into this backward, whose output `x` is (-f32::MAX
    /// when none; the forward ignores it).
    pub pass_above: f32,
    /// Backward only: see `pass_above` (f32::MAX when none).
    pub pass_below: f32,
}

crate::uniform_fields!(FakeQuantParams: count, channels, inner, _pad0, qmin, qmax, pass_above, pass_below);

impl FakeQuantParams {
    /// Fake quant of `count` elements on `grid`, element i with range (i / inner) % channels.
    pub fn new(count: usize, channels: usize, inner: usize, grid: QuantGrid) -> Self {
        FakeQuantParams {
            count: count as u32,
            channels: channels as u32,
            inner: inner as u32,
            _pad0: 0,
            qmin: grid.qmin as f32,
            qmax: grid.qmax as f32,
            pass_above: -f32::MAX,
            pass_below: f32::MAX,
        }
    }
    /// The same fake quant whose backward also applies the gradient of the (capped) ReLU that
    /// produced its input: dx = dy where 0 < x < cap as well (the ReLU's output x is in (0, cap)
    /// exactly where its input is), so one kernel does both backwards.
    pub fn after_relu(self, cap: f32) -> Self {
        FakeQuantParams { pass_above: 0.0, pass_below: cap, ..self }
    }
    /// The range layout the kernels are specialized on (per tensor, `inner` is unused and set
    /// to 1, so every per-tensor fake quant shares one pipeline).
    pub fn specialization(&self) -> Specialization {
        let inner = if self.channels == 1 { 1 } else { self.inner };
        Specialization::default().with("CHANNELS", self.channels).with("INNER", inner)
    }
    /// Per tensor, each lane does four vec4s; per channel, one (both kernels).
    fn grid(&self) -> Grid {
        Grid::items(self.count.div_ceil(if self.channels == 1 { 16 } else { 4 }) as usize, WORKGROUP_SIZE)
    }
    /// Records y = fake_quant(x) with the nudged `ranges` ([min, max] per channel).
    pub fn forward(&self, gpu: &Gpu, x: &wgpu::Buffer, ranges: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::specialized(gpu, &FORWARD, &self.specialization(), self, &[x, ranges, y], self.grid())
    }
    /// Records y = fake_quant(x) of a conv or depthwise output on the per-tensor `range`, with the
    /// tie of the rounding widened by `margins` as the int8 model's double rounding widens it
    /// (`quant::double_rounding`): one margin (`margin_channels` 1) or one per channel of the
    /// channel-last output; `margins` holds whole vec4s (`MarginParams::margins_len`). The
    /// backward is `backward`'s.
    pub fn forward_requantized(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        range: &wgpu::Buffer,
        margins: &wgpu::Buffer,
        margin_channels: u32,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        debug_assert_eq!(self.channels, 1, "the requantized fake quant has one range");
        // As the kernel: four vec4s per lane, a stride apart that is a multiple of the margin groups.
        let groups = if margin_channels.is_multiple_of(4) { margin_channels / 4 } else { 1 };
        let lanes = self.count.div_ceil(4).div_ceil(4).div_ceil(groups) * groups;
        let grid = Grid::items(lanes as usize, WORKGROUP_SIZE);
        let s = Specialization::default().with("MARGINS", margin_channels);
        Dispatch::specialized(gpu, &REQUANTIZED, &s, self, &[x, range, margins, y], grid)
    }
    /// Records the straight-through gradient: dy where x is inside the nudged range (and inside
    /// (`pass_above`, `pass_below`)), else 0.
    pub fn backward(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        ranges: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dx: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        Dispatch::specialized(gpu, &BACKWARD, &self.specialization(), self, &[x, ranges, dy, dx], self.grid())
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of fake_quant/double_rounding_margin.wgsl: the double-rounding margin
/// of each output channel of a conv or depthwise layer from its input, weight and output ranges.
pub struct MarginParams {
    /// Output channels.
    pub channels: u32,
    /// Weight ranges: 1 (per tensor) or `channels`.
    pub weight_ranges: u32,
    /// Padding (WGSL alignment).
    pub _pad0: u32,
    /// Padding (WGSL alignment).
    pub _pad1: u32,
    /// The activation grid's lowest point.
    pub act_qmin: f32,
    /// The activation grid's highest point.
    pub act_qmax: f32,
    /// The weight grid's lowest point.
    pub weight_qmin: f32,
    /// The weight grid's highest point.
    pub weight_qmax: f32,
}

crate::uniform_fields!(MarginParams: channels, weight_ranges, _pad0, _pad1, act_qmin, act_qmax, weight_qmin, weight_qmax);

impl MarginParams {
    /// Margins of `channels` output channels whose weights have `weight_ranges` ranges.
    pub fn new(channels: usize, weight_ranges: usize, act: QuantGrid, weight: QuantGrid) -> Self {
        MarginParams {
            channels: channels as u32,
            weight_ranges: weight_ranges as u32,
            _pad0: 0,
            _pad1: 0,
            act_qmin: act.qmin as f32,
            act_qmax: act.qmax as f32,
            weight_qmin: weight.qmin as f32,
            weight_qmax: weight.qmax as f32,
        }
    }
    /// The length of the margins buffer: whole vec4s.
    pub fn margins_len(&self) -> usize {
        (self.channels as usize).div_ceil(4) * 4
    }
    /// Records the margins: `input_range` and `output_range` hold [min, max], `weight_ranges`
    /// [min, max] per range.
    pub fn dispatch(
        &self,
        gpu: &Gpu,
        input_range: &wgpu::Buffer,
        weight_ranges: &wgpu::Buffer,
        output_range: &wgpu::Buffer,
        margins: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        Dispatch::new(
            gpu,
            &DOUBLE_ROUNDING_MARGIN,
            self,
            &[input_range, weight_ranges, output_range, margins],
            Grid::items(self.channels as usize, WORKGROUP_SIZE),
        )
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `fake_quant/forward`: shaders/fake_quant/forward.wgsl.
#[rustfmt::skip]
pub static FORWARD: Kernel<FakeQuantParams> = crate::kernel!("fake_quant/forward", FakeQuantParams, [R, R, W], "fake_quant/nudge"; specialized ["CHANNELS", "INNER"]);
/// `fake_quant/backward`: shaders/fake_quant/backward.wgsl.
#[rustfmt::skip]
pub static BACKWARD: Kernel<FakeQuantParams> = crate::kernel!("fake_quant/backward", FakeQuantParams, [R, R, R, W], "fake_quant/nudge"; specialized ["CHANNELS", "INNER"]);
/// `fake_quant/requantized`: shaders/fake_quant/requantized.wgsl.
#[rustfmt::skip]
pub static REQUANTIZED: Kernel<FakeQuantParams> = crate::kernel!("fake_quant/requantized", FakeQuantParams, [R, R, R, W], "fake_quant/nudge"; specialized ["MARGINS"]);
/// `fake_quant/double_rounding_margin`: shaders/fake_quant/double_rounding_margin.wgsl.
#[rustfmt::skip]
pub static DOUBLE_ROUNDING_MARGIN: Kernel<MarginParams> = crate::kernel!("fake_quant/double_rounding_margin", MarginParams, [R, R, R, W], "fake_quant/nudge");
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] =
    &[&FORWARD.shader, &BACKWARD.shader, &REQUANTIZED.shader, &DOUBLE_ROUNDING_MARGIN.shader];

/// Twins of the fake-quant kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use qat_int8::quant::double_rounding::margin_of_scales;
    use qat_int8::quant::fake_quant::{nudge, Grid};

    /// Twin of fake_quant/forward.wgsl (ranges: [min, max] per channel).
    pub fn fake_quant_forward(x: &[f32], ranges: &[f32], channels: usize, inner: usize, grid: Grid) -> Vec<f32> {
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = (i / inner) % channels;
                nudge(ranges[2 * c], ranges[2 * c + 1], grid).fake_quant(v)
            })
            .collect()
    }

    /// Twin of fake_quant/requantized.wgsl: per-tensor `range`, margins per channel of the
    /// channel-last output (`margins.len()` channels; one margin for all).
    pub fn fake_quant_requantized_forward(x: &[f32], range: &[f32], margins: &[f32], grid: Grid) -> Vec<f32> {
        let n = nudge(range[0], range[1], grid);
        x.iter().enumerate().map(|(i, &v)| n.fake_quant_with_margin(v, margins[i % margins.len()])).collect()
    }

    /// Twin of fake_quant/double_rounding_margin.wgsl.
    pub fn double_rounding_margins(
        input_range: &[f32],
        weight_ranges: &[f32],
        output_range: &[f32],
        channels: usize,
        act: Grid,
        weight: Grid,
    ) -> Vec<f32> {
        let groups = weight_ranges.len() / 2;
        let s_in = nudge(input_range[0], input_range[1], act).scale;
        let s_out = nudge(output_range[0], output_range[1], act).scale;
        (0..channels)
            .map(|c| {
                let g = if groups == 1 { 0 } else { c };
                let s_w = nudge(weight_ranges[2 * g], weight_ranges[2 * g + 1], weight).scale;
                margin_of_scales(s_in, s_w, s_out)
            })
            .collect()
    }

    /// Twin of fake_quant/backward.wgsl (with no ReLU folded in; `relu_capped_backward` of this
    /// is the twin of `FakeQuantParams::after_relu`).
    pub fn fake_quant_backward(
        x: &[f32],
        ranges: &[f32],
        dy: &[f32],
        channels: usize,
        inner: usize,
        grid: Grid,
    ) -> Vec<f32> {
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = (i / inner) % channels;
                if nudge(ranges[2 * c], ranges[2 * c + 1], grid).passes_gradient(v) {
                    dy[i]
                } else {
                    0.0
                }
            })
            .collect()
    }
}
