//! Quantization parameters of a tensor: real = (q - zero_point) * scale.

/// Per-tensor affine parameters of an int8 tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TensorQuant {
    /// The real value of one step.
    pub scale: f32,
    /// The integer that stands for real 0.
    pub zero_point: i32,
}

impl TensorQuant {
    /// The real value of `q`.
    pub fn dequantize(&self, q: i8) -> f32 {
        (q as i32 - self.zero_point) as f32 * self.scale
    }
}
