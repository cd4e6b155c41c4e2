//! The rules an int8 node's parameters must meet, each once, for the ops' own checks
//! (`crate::ops`, called by `crate::validate`): positive finite scales, int8 zero points,
//! normalized Q31 multipliers equal to what LiteRT derives from the scales, clamps equal to what
//! the fused activation gives, weights in the symmetric range and the int32 accumulator bound.

use crate::limits;
use crate::quant::clamp::{Activation, Clamp};
use crate::quant::multiplier::quantize_multiplier;
use crate::quant::params::TensorQuant;
use crate::quant::per_channel::PerChannel;

pub(crate) type R<T> = std::result::Result<T, String>;

/// What an op's check sees of its node: the tensors it reads and the output shape
/// `OpShape::infer` gave (which already checked every size limit).
pub(crate) struct NodeIo<'a> {
    /// The tensor ids read.
    pub inputs: &'a [usize],
    /// Their shapes.
    pub shapes: Vec<[u32; 3]>,
    /// Their quantization.
    pub quants: Vec<TensorQuant>,
}

impl NodeIo<'_> {
    /// Channels of the first input.
    pub fn channels(&self) -> u32 {
        self.shapes[0][2]
    }
}

/// Per-channel multipliers are what LiteRT derives from the scales it is given:
/// QuantizeMultiplier(input_scale * weight_scale[c] / output_scale) in float64 (docs/NUMERICS.md),
/// so an exported `.tflite` computes the bytes our interpreter computes.
pub(crate) fn requantization(input: TensorQuant, p: &PerChannel, output: &TensorQuant) -> R<()> {
    for (c, (&s, m)) in p.weight_scales.iter().zip(&p.multipliers).enumerate() {
        let want = quantize_multiplier(input.scale as f64 * s as f64 / output.scale as f64);
        if *m != want {
            return Err(format!(
                "channel {c}: multiplier {} with shift {} is not the one its scales give ({} with shift {})",
                m.multiplier, m.shift, want.multiplier, want.shift
            ));
        }
    }
    Ok(())
}

/// A positive finite scale.
pub(crate) fn scale(s: f32, what: &str) -> R<()> {
    if !(s.is_finite() && s > 0.0) {
        return Err(format!("{what} {s} is not a positive finite scale"));
    }
    Ok(())
}

/// A positive finite scale and an int8 zero point.
pub(crate) fn quant(q: &TensorQuant, what: &str) -> R<()> {
    scale(q.scale, &format!("{what} scale"))?;
    if !(-128..=127).contains(&q.zero_point) {
        return Err(format!("{what} zero point {} is outside int8", q.zero_point));
    }
    Ok(())
}

/// The output's quantization, and the clamp the fused activation gives for it.
pub(crate) fn output_and_clamp(output: &TensorQuant, clamp: &Clamp, activation: Activation) -> R<()> {
    quant(output, "output")?;
    let want = Clamp::fused(activation, *output);
    if *clamp != want {
        return Err(format!(
            "activation clamp [{}, {}] is not the one {activation:?} gives for this output ([{}, {}])",
            clamp.min, clamp.max, want.min, want.max
        ));
    }
    Ok(())
}

/// Per-channel weights of conv and depthwise: lengths, scales, multipliers, accumulator bound
/// and symmetric range.
pub(crate) fn weighted(channels: u32, taps: u64, p: &PerChannel, weights: &[i8]) -> R<()> {
    let n = channels as usize;
    if p.weight_scales.len() != n || p.multipliers.len() != n || p.bias.len() != n {
        return Err(format!(
            "{channels} channels but {} weight scales, {} multipliers, {} biases",
            p.weight_scales.len(),
            p.multipliers.len(),
            p.bias.len()
        ));
    }
    if weights.len() as u64 != channels as u64 * taps {
        return Err(format!("has {} weights, {channels} channels x {taps} taps expected", weights.len()));
    }
    for (c, &s) in p.weight_scales.iter().enumerate() {
        scale(s, &format!("channel {c} weight scale"))?;
    }
    for (c, m) in p.multipliers.iter().enumerate() {
        if !(m.multiplier == 0 || (1 << 30..=i32::MAX).contains(&m.multiplier)) || !(-31..=30).contains(&m.shift) {
            return Err(format!(
                "channel {c}: multiplier {} with shift {} is not a normalized Q31 multiplier with shift in [-31, 30]",
                m.multiplier, m.shift
            ));
        }
    }
    accumulator(taps, &p.bias)?;
    symmetric(weights)
}

/// Weights are symmetric narrow-range int8: -128 never occurs.
pub(crate) fn symmetric(w: &[i8]) -> R<()> {
    match w.iter().position(|&v| v == -128) {
        Some(i) => Err(format!("weight {i} is -128, outside the symmetric range [-127, 127]")),
        None => Ok(()),
    }
}

/// The int32 accumulator is safe when |bias| + taps * 255 * 127 < 2^31
/// (|x - zp| <= 255 for int8 x and zp, |w| <= 127).
pub(crate) fn accumulator(taps: u64, bias: &[i32]) -> R<()> {
    if taps > limits::MAX_TAPS {
        return Err(format!("{taps} taps could overflow the int32 accumulator (limit {})", limits::MAX_TAPS));
    }
    let worst_bias = bias.iter().map(|b| (*b as i64).unsigned_abs()).max().unwrap_or(0);
    let bound = worst_bias + taps * 255 * 127;
    if bound >= 1u64 << 31 {
        return Err(format!("{taps} taps with |bias| up to {worst_bias} could overflow the int32 accumulator"));
    }
    Ok(())
}
