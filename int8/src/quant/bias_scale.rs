//! Room for the int32 bias. Where a channel's weights have collapsed toward zero its weight
//! scale is tiny, and its bias at scale input_scale * weight_scale can leave int32, or leave the
//! accumulator too little room for the products. LiteRT's converter then widens that channel's
//! weight range until the bias takes half of int32 (AdjustWeightsForBiasScale); this is that
//! rule, with this crate's accumulator bound (`validate`: |bias| + taps * 255 * 127 < 2^31)
//! folded in. The exporter applies it to the weights it quantizes, and QAT's weight fake quant
//! applies it each step (observer/bias_widened_range.wgsl, the same f32 operations), so
//! training simulates the exported weights.

use crate::limits::MAX_TAPS;

/// The largest |bias| in int32 units a channel summing `taps` products may hold: half of
/// int32, as LiteRT keeps it, or less where the products need more room, with a 2^-16 margin
/// for the f32 arithmetic of the scales.
pub fn bias_limit(taps: u64) -> f32 {
    let half = i32::MAX as f64 / 2.0;
    let room = i32::MAX as f64 - taps.min(MAX_TAPS) as f64 * 255.0 * 127.0;
    (half.min(room) * (1.0 - 1.0 / 65536.0)).max(1.0) as f32
}

/// The weight half-range (max |w| of the range the weights are quantized with) that a channel
/// with float `bias`, on an input of scale `input_scale`, needs for its int32 bias to stay
/// within `limit`: with a symmetric grid of `half_steps` steps each side (127 for int8), the
/// weight scale is half_range / half_steps, and the int32 bias
/// bias / (input_scale * weight_scale) is then at most `limit`.
pub fn needed_half_range(bias: f32, input_scale: f32, limit: f32, half_steps: f32) -> f32 {
    bias.abs() / (input_scale * limit) * half_steps
}

/// `half_range` widened to `needed_half_range` where that is larger (LiteRT's rule).
pub fn widened(half_range: f32, bias: f32, input_scale: f32, limit: f32, half_steps: f32) -> f32 {
    half_range.max(needed_half_range(bias, input_scale, limit, half_steps))
}
