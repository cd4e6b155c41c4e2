//! Shape math shared by every layer kind and every side of the project: TensorFlow's "same" and
//! "valid" padding, output sizes, element counts. Training's shape inference
//! (`wgpu_qat::model::spec`), the GPU launchers, the model validation and the int8 kernels all
//! call these, so a window is sized one way everywhere. All arithmetic that could wrap is done
//! in u64.

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
