//! TF fake quant (`fake_quant_with_min_max_vars`): the nudging of a [min, max] range onto an
//! integer grid, the quantize-dequantize forward and the straight-through gradient. This is the
//! one place the rule lives on the host; `shaders/fake_quant/*.wgsl` repeats it in f32 with the
//! same operation order, and export uses `Nudged::index` so the int8 values are exactly the grid
//! points training used.

/// An unsigned integer grid [qmin, qmax]: qmin = 1 for narrow range, qmax = 2^bits - 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// Bits per value.
    pub bits: u32,
    /// The lowest grid point (0, or 1 for narrow range).
    pub qmin: i32,
    /// The highest grid point, 2^bits - 1.
    pub qmax: i32,
}

impl Grid {
    /// The grid of `bits` bits, narrow (without its lowest point) or full.
    pub fn new(bits: u32, narrow_range: bool) -> Grid {
        Grid { bits, qmin: narrow_range as i32, qmax: (1i32 << bits) - 1 }
    }
    /// Activations: 8-bit, full range, asymmetric.
    pub fn activation(bits: u32) -> Grid {
        Grid::new(bits, false)
    }
    /// Weights: symmetric narrow range ([-127, 127] at 8 bits).
    pub fn weight(bits: u32) -> Grid {
        Grid::new(bits, true)
    }
    /// Offset from the unsigned grid to the signed integer type (128 for int8).
    pub fn signed_offset(&self) -> i32 {
        1 << (self.bits - 1)
    }
}

/// A range after nudging: zero is exactly representable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nudged {
    /// The nudged minimum, (qmin - zero_point) * scale.
    pub min: f32,
    /// The nudged maximum, (qmax - zero_point) * scale.
    pub max: f32,
    /// The step between grid points.
    pub scale: f32,
    /// Zero point on the unsigned grid.
    pub zero_point: i32,
    /// The grid the range is nudged onto.
    pub grid: Grid,
}

/// Nudges [min, max] onto `grid` (TF's Nudge(), f32 arithmetic in the order the kernels use).
/// A degenerate range (max <= min) gets scale 1 so it stays finite; it only occurs for all-zero
/// tensors, whose values quantize to 0 under any scale.
pub fn nudge(min: f32, max: f32, grid: Grid) -> Nudged {
    let qmin = grid.qmin as f32;
    let qmax = grid.qmax as f32;
    let mut scale = (max - min) / (qmax - qmin);
    // NaN (an empty or broken range) and non-positive scales both fall back to 1.
    if scale.is_nan() || scale <= 0.0 {
        scale = 1.0;
    }
    let zp_from_min = qmin - min / scale;
    // zp_from_min >= qmin whenever min <= 0, so floor(v + 0.5) is round half away from zero.
    let zp = (zp_from_min + 0.5).floor().clamp(qmin, qmax);
    Nudged { min: (qmin - zp) * scale, max: (qmax - zp) * scale, scale, zero_point: zp as i32, grid }
}

impl Nudged {
    /// Grid step k in [0, qmax - qmin] that `x` rounds to.
    #[inline]
    pub fn step(&self, x: f32) -> f32 {
        let inv_scale = 1.0 / self.scale;
        ((x.clamp(self.min, self.max) - self.min) * inv_scale + 0.5).floor()
    }
    /// Quantize-dequantize: what the fake-quant forward outputs.
    #[inline]
    pub fn fake_quant(&self, x: f32) -> f32 {
        self.step(x) * self.scale + self.min
    }
    /// Quantize-dequantize of a value that the int8 model requantizes with double rounding:
    /// the tie of the rounding widened by `margin` on the side away from the zero point
    /// (`quant::double_rounding`; margin 0 gives `fake_quant` exactly).
    #[inline]
    pub fn fake_quant_with_margin(&self, x: f32, margin: f32) -> f32 {
        let inv_scale = 1.0 / self.scale;
        let u = (x.clamp(self.min, self.max) - self.min) * inv_scale;
        let away = if u >= (self.zero_point - self.grid.qmin) as f32 { margin } else { -margin };
        (u + (0.5 + away)).floor() * self.scale + self.min
    }
    /// Straight-through gradient mask: 1 inside [min, max], else 0.
    #[inline]
    pub fn passes_gradient(&self, x: f32) -> bool {
        x >= self.min && x <= self.max
    }
    /// The signed integer that `x` fake-quantizes to (int8 for 8 bits): the grid point
    /// `qmin + step` shifted by the signed offset.
    #[inline]
    pub fn index(&self, x: f32) -> i32 {
        self.step(x) as i32 + self.grid.qmin - self.grid.signed_offset()
    }
    /// Zero point in the signed integer type.
    pub fn signed_zero_point(&self) -> i32 {
        self.zero_point - self.grid.signed_offset()
    }
}

/// The symmetric "last value" weight ranges: [-max|w|, max|w|] of each channel, weight i in
/// channel (i / inner) % channels (OHWI and dense [out, in]: inner = a row; depthwise
/// [KH, KW, C]: inner = 1; per tensor: one channel). QAT's weight observer computes the same on
/// the GPU (`shaders/observer/weight_range.wgsl`); the export quantizes with it.
pub fn symmetric_ranges(w: &[f32], channels: usize, inner: usize) -> Vec<f32> {
    let mut m = vec![0.0f32; channels];
    for (i, v) in w.iter().enumerate() {
        let c = (i / inner.max(1)) % channels;
        m[c] = m[c].max(v.abs());
    }
    m.iter().flat_map(|&m| [-m, m]).collect()
}
