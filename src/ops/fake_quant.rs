//! Fake quant kernels (forward and straight-through backward), per tensor or per channel.
//! The nudging rule itself is `quant::fake_quant`; the WGSL restates it in f32 in the same order.

use crate::gpu::{Dispatch, Gpu, Grid, Specialization, WORKGROUP_SIZE};
use crate::quant::fake_quant::Grid as QuantGrid;
use crate::Result;

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
        Dispatch::specialized(gpu, "fake_quant/forward", &self.specialization(), self, &[x, ranges, y], self.grid())
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
        Dispatch::specialized(
            gpu,
            "fake_quant/backward",
            &self.specialization(),
            self,
            &[x, ranges, dy, dx],
            self.grid(),
        )
    }
}

/// Twins of the fake-quant kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against (`reference::f32` gathers every op's twin).
pub mod twin {
    use crate::quant::fake_quant::{nudge, Grid};

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
