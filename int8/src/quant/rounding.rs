//! Float-to-integer rounding as TFLite's reference kernels do it: half away from zero
//! (C's `round`/`std::round`), which is also Rust's `f32::round`/`f64::round`.

/// Rounds half away from zero (`std::round`).
#[inline]
pub fn round_half_away_f32(x: f32) -> f32 {
    x.round()
}

/// Rounds half away from zero (`std::round`) in double precision.
#[inline]
pub fn round_half_away_f64(x: f64) -> f64 {
    x.round()
}

/// TFLite QUANTIZE of a float32 input: `round_half_away(x / scale) + zero_point`, the division in
/// float32, clamped to int8.
pub fn quantize_f32_to_i8(x: f32, scale: f32, zero_point: i32) -> i8 {
    let q = round_half_away_f32(x / scale);
    // Saturate in float first so huge values do not overflow the i32 cast.
    let q = q.clamp(-1.0e9, 1.0e9) as i32 + zero_point;
    q.clamp(-128, 127) as i8
}
