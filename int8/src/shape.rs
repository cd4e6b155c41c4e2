//! Shape math shared by every op and every side of the project: padding ("valid", TensorFlow's
//! "same", or explicit per side), window output sizes, element counts, and the size checks every op's shape rule applies
//! (`crate::ops::OpShape::infer`). Training's shape inference, the GPU launchers, the model
//! validation and the int8 kernels all call these, so a window is sized one way everywhere. All
//! arithmetic that could wrap is done in u64.

/// How a window is padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// No padding: out = (in - kernel) / stride + 1, windows inside the input only.
    Valid,
    /// TensorFlow's "same": out = ceil(in / stride), the total padding split with the smaller
    /// half leading.
    Same,
    /// Given rows and columns on each side (PyTorch's `padding`, ONNX's `pads`), each less than
    /// the kernel along its axis: out = (in + lead + trail - kernel) / stride + 1.
    Explicit(Pads),
}

/// Padding on each side of a window's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pads {
    /// Rows before the first.
    pub top: u32,
    /// Rows after the last.
    pub bottom: u32,
    /// Columns before the first.
    pub left: u32,
    /// Columns after the last.
    pub right: u32,
}

impl Pads {
    /// (leading, trailing) along axis 0 (height) or 1 (width).
    pub fn along(&self, axis: usize) -> (u32, u32) {
        if axis == 0 {
            (self.top, self.bottom)
        } else {
            (self.left, self.right)
        }
    }
    /// No padding.
    pub fn is_zero(&self) -> bool {
        *self == Pads::default()
    }
}

/// A window's output size and the padding it reads on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// [h, w] of the output.
    pub out: [u32; 2],
    /// The padding (for "valid", zero; input rows or columns past the last window are unread).
    pub pads: Pads,
}

/// Output size and (leading, trailing) padding along one axis; None when the kernel does not
/// fit (or a size is zero).
fn axis_window(input: u32, kernel: u32, stride: u32, padding: Padding, axis: usize) -> Option<(u32, u32, u32)> {
    if stride == 0 || kernel == 0 || input == 0 {
        return None;
    }
    match padding {
        Padding::Valid => (input >= kernel).then(|| ((input - kernel) / stride + 1, 0, 0)),
        Padding::Same => {
            // In u64: a crafted kernel or stride near u32::MAX must not wrap.
            let out = input.div_ceil(stride);
            let total = ((out as u64 - 1) * stride as u64 + kernel as u64).saturating_sub(input as u64);
            let lead = u32::try_from(total / 2).ok()?;
            Some((out, lead, u32::try_from(total).ok()? - lead))
        }
        Padding::Explicit(p) => {
            let (lead, trail) = p.along(axis);
            let padded = input as u64 + lead as u64 + trail as u64;
            (padded >= kernel as u64)
                .then(|| ((padded - kernel as u64) / stride as u64 + 1) as u32)
                .map(|o| (o, lead, trail))
        }
    }
}

/// The output size and padding of a kh x kw window at `stride` with `padding` on an [h, w]
/// input; None when it does not fit.
pub fn window([h, w]: [u32; 2], [kh, kw]: [u32; 2], stride: u32, padding: Padding) -> Option<Window> {
    let (oh, top, bottom) = axis_window(h, kh, stride, padding, 0)?;
    let (ow, left, right) = axis_window(w, kw, stride, padding, 1)?;
    Some(Window { out: [oh, ow], pads: Pads { top, bottom, left, right } })
}

/// The input rows (or columns) that output `o` of a `k`-wide window at `stride` reads, `lead`
/// rows of padding standing before an input of `input` rows: its in-bounds taps.
pub fn in_bounds(o: u32, stride: u32, k: u32, lead: u32, input: u32) -> std::ops::Range<usize> {
    let start = (o as i64 * stride as i64 - lead as i64).max(0);
    let end = (o as i64 * stride as i64 - lead as i64 + k as i64).min(input as i64);
    start as usize..end.max(start) as usize
}

/// Explicit padding is less than the kernel on each side (so every window reads at least one
/// input row and column); "valid" and "same" always are.
pub fn check_pads(padding: Padding, [kh, kw]: [u32; 2]) -> Result<(), String> {
    match padding {
        Padding::Explicit(p) if p.top >= kh || p.bottom >= kh || p.left >= kw || p.right >= kw => Err(format!(
            "padding [top {}, bottom {}, left {}, right {}] must be less than the {kh}x{kw} kernel on each side",
            p.top, p.bottom, p.left, p.right
        )),
        _ => Ok(()),
    }
}

/// Elements of a [h, w, c] tensor, in u64 (cannot wrap for u32 dimensions).
pub fn elements(shape: [u32; 3]) -> u64 {
    shape.iter().map(|&d| d as u64).product()
}

/// A window's sizes and stride are each in 1..=`limits::MAX_KERNEL`.
pub fn check_window(what: &str, dims: &[u32], stride: u32) -> Result<(), String> {
    use crate::limits::MAX_KERNEL;
    match dims.iter().map(|&d| (what, d)).chain([("stride", stride)]).find(|&(_, d)| d == 0 || d > MAX_KERNEL) {
        Some((what, d)) => Err(format!("{what} {d} is outside 1..={MAX_KERNEL}")),
        None => Ok(()),
    }
}

/// A count of filters or units is in 1..=`limits::MAX_DIM`.
pub fn check_count(what: &str, n: u32) -> Result<(), String> {
    if n == 0 || n > crate::limits::MAX_DIM {
        Err(format!("{n} {what} is outside 1..={}", crate::limits::MAX_DIM))
    } else {
        Ok(())
    }
}

/// `taps` products per output cannot overflow the int8 model's int32 accumulator, and a layer
/// has at most `limits::MAX_WEIGHTS` weights.
pub fn check_accumulation(taps: u64, weights: u64) -> Result<(), String> {
    use crate::limits;
    if taps > limits::MAX_TAPS {
        return Err(format!(
            "{taps} products per output could overflow the int8 model's int32 accumulator (limit {})",
            limits::MAX_TAPS
        ));
    }
    if weights > limits::MAX_WEIGHTS {
        return Err(format!("{weights} weights is more than the limit of {} per layer", limits::MAX_WEIGHTS));
    }
    Ok(())
}

/// The [h, w] output of a window on `input`, or why it does not fit (padding included).
pub fn fit(input: [u32; 3], kernel: [u32; 2], stride: u32, padding: Padding) -> Result<[u32; 2], String> {
    check_pads(padding, kernel)?;
    window([input[0], input[1]], kernel, stride, padding)
        .map(|w| w.out)
        .ok_or_else(|| format!("{kernel:?} window, stride {stride}, {padding:?} padding does not fit input {input:?}"))
}
