//! Shape math shared by every op and every side of the project: TensorFlow's "same" and "valid"
//! padding, output sizes, element counts, and the size checks every op's shape rule applies
//! (`crate::ops::OpShape::infer`). Training's shape inference, the GPU launchers, the model
//! validation and the int8 kernels all call these, so a window is sized one way everywhere. All
//! arithmetic that could wrap is done in u64.

/// TensorFlow's padding rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    /// No padding: out = (in - kernel) / stride + 1, windows inside the input only.
    Valid,
    /// out = ceil(in / stride), the total padding split with the smaller half leading.
    Same,
}

/// Output size and leading padding along one axis, as TensorFlow computes them; None when the
/// kernel does not fit (or a size is zero).
pub fn output_size(input: u32, kernel: u32, stride: u32, padding: Padding) -> Option<(u32, u32)> {
    if stride == 0 || kernel == 0 || input == 0 {
        return None;
    }
    match padding {
        Padding::Valid => (input >= kernel).then(|| ((input - kernel) / stride + 1, 0)),
        Padding::Same => {
            // In u64: a crafted kernel or stride near u32::MAX must not wrap.
            let out = input.div_ceil(stride);
            let total = ((out as u64 - 1) * stride as u64 + kernel as u64).saturating_sub(input as u64);
            Some((out, u32::try_from(total / 2).ok()?))
        }
    }
}

/// The [h, w] output of a kh x kw window at `stride` with `padding` on an [h, w] input.
pub fn window_output([h, w]: [u32; 2], [kh, kw]: [u32; 2], stride: u32, padding: Padding) -> Option<[u32; 2]> {
    Some([output_size(h, kh, stride, padding)?.0, output_size(w, kw, stride, padding)?.0])
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

/// The [h, w] output of a window on `input`, or why it does not fit.
pub fn fit(input: [u32; 3], kernel: [u32; 2], stride: u32, padding: Padding) -> Result<[u32; 2], String> {
    window_output([input[0], input[1]], kernel, stride, padding)
        .ok_or_else(|| format!("{kernel:?} window, stride {stride}, {padding:?} padding does not fit input {input:?}"))
}
