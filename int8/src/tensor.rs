//! The int8 NHWC tensor of one image that the interpreter's kernels read and write.

use crate::quant::clamp::Clamp;

/// An int8 NHWC tensor of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// [h, w, c].
    pub shape: [u32; 3],
    /// h * w * c values, NHWC.
    pub data: Vec<i8>,
}

/// `v` clamped to the fused activation's bounds, as int8 (the bounds lie inside int8).
pub(crate) fn clamp_i8(v: i32, c: Clamp) -> i8 {
    v.clamp(c.min, c.max) as i8
}
