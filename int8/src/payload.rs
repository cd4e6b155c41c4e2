//! The little-endian primitives of a `.qat` payload (docs/FORMAT.md): what the writer appends
//! and what the reader takes, every read bounded by the bytes left and every size by
//! `crate::limits`, the error naming the field and its payload offset. Each op writes and reads
//! its own fields with these (`crate::ops`); `crate::format` frames them.

use crate::limits;
use crate::quant::clamp::{Activation, Clamp};
use crate::quant::multiplier::QuantizedMultiplier;
use crate::quant::params::TensorQuant;
use crate::quant::per_channel::PerChannel;
use crate::shape::{Padding, Pads};

pub(crate) type R<T> = std::result::Result<T, String>;

/// Appends payload fields.
pub(crate) struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f32(&mut self, v: f32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn quant(&mut self, q: &TensorQuant) {
        self.f32(q.scale);
        self.i32(q.zero_point);
    }
    pub fn clamp(&mut self, c: &Clamp) {
        self.i32(c.min);
        self.i32(c.max);
    }
    pub fn i8s(&mut self, v: &[i8]) {
        self.0.extend(v.iter().map(|&x| x as u8));
    }
    /// Explicit padding's top, bottom, left and right (nothing for "valid" and "same").
    pub fn pads(&mut self, p: Padding) {
        if let Padding::Explicit(p) = p {
            [p.top, p.bottom, p.left, p.right].into_iter().for_each(|v| self.u32(v));
        }
    }
    /// Weight scales, multipliers, shifts and biases, each as one array.
    pub fn per_channel(&mut self, p: &PerChannel) {
        p.weight_scales.iter().for_each(|&s| self.f32(s));
        p.multipliers.iter().for_each(|m| self.i32(m.multiplier));
        p.multipliers.iter().for_each(|m| self.i32(m.shift));
        p.bias.iter().for_each(|&b| self.i32(b));
    }
}

/// The flag byte of a fused activation.
pub(crate) fn activation_byte(a: Activation) -> u8 {
    match a {
        Activation::None => 0,
        Activation::Relu => 1,
        Activation::Relu6 => 2,
    }
}

/// The flag byte of a padding (explicit padding's four sizes are the op's first fields:
/// `Writer::pads`, `Reader::padding`).
pub(crate) fn padding_byte(p: Padding) -> u8 {
    match p {
        Padding::Valid => 0,
        Padding::Same => 1,
        Padding::Explicit(_) => 2,
    }
}

/// The first format version with explicit padding.
pub(crate) const EXPLICIT_PADDING_SINCE: u16 = 4;

/// The fused activation of a flag byte.
pub(crate) fn activation_of(b: u8) -> R<Activation> {
    match b {
        0 => Ok(Activation::None),
        1 => Ok(Activation::Relu),
        2 => Ok(Activation::Relu6),
        a => Err(format!("unknown activation {a}")),
    }
}

/// A flag byte an op does not use: it must be zero.
pub(crate) fn unused(b: u8, what: &str) -> R<()> {
    if b == 0 {
        Ok(())
    } else {
        Err(format!("{what} byte is {b}, must be 0 for this op"))
    }
}

/// Takes payload fields from the front.
pub(crate) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
    /// The file's format version.
    pub version: u16,
}

impl Reader<'_> {
    pub fn take(&mut self, n: usize, what: &str) -> R<&[u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(format!(
                "truncated: {what} needs {n} bytes at payload offset {}, only {} left",
                self.pos,
                self.bytes.len() - self.pos
            ));
        };
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    pub fn u8(&mut self, what: &str) -> R<u8> {
        Ok(self.take(1, what)?[0])
    }
    pub fn u32(&mut self, what: &str) -> R<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A dimension or count: 1..=MAX_DIM, so no product of a few of them can wrap in u64 and
    /// no loop over one runs long.
    pub fn dim(&mut self, what: &str) -> R<u32> {
        self.in_range(what, limits::MAX_DIM)
    }
    /// A kernel, window or stride size: 1..=MAX_KERNEL.
    pub fn window(&mut self, what: &str) -> R<u32> {
        self.in_range(what, limits::MAX_KERNEL)
    }
    /// A u32 in 1..=max, the error naming its payload offset.
    pub fn in_range(&mut self, what: &str, max: u32) -> R<u32> {
        let v = self.u32(what)?;
        if v == 0 || v > max {
            return Err(format!("{what} = {v} at payload offset {} is out of range 1..={max}", self.pos - 4));
        }
        Ok(v)
    }
    /// The padding of flag byte `b`, reading explicit padding's four sizes (each below
    /// `limits::MAX_KERNEL`; the shape rule checks them against the kernel).
    pub fn padding(&mut self, b: u8) -> R<Padding> {
        match b {
            0 => Ok(Padding::Valid),
            1 => Ok(Padding::Same),
            2 if self.version < EXPLICIT_PADDING_SINCE => Err(format!(
                "explicit padding is not in format version {} (it is from version {EXPLICIT_PADDING_SINCE})",
                self.version
            )),
            2 => {
                let mut side = |what: &str| -> R<u32> {
                    let v = self.u32(what)?;
                    if v >= limits::MAX_KERNEL {
                        return Err(format!(
                            "{what} = {v} at payload offset {} is not below {}",
                            self.pos - 4,
                            limits::MAX_KERNEL
                        ));
                    }
                    Ok(v)
                };
                let (top, bottom) = (side("padding top")?, side("padding bottom")?);
                let (left, right) = (side("padding left")?, side("padding right")?);
                Ok(Padding::Explicit(Pads { top, bottom, left, right }))
            }
            p => Err(format!("unknown padding {p}")),
        }
    }
    pub fn i32(&mut self, what: &str) -> R<i32> {
        Ok(self.u32(what)? as i32)
    }
    pub fn f32(&mut self, what: &str) -> R<f32> {
        Ok(f32::from_bits(self.u32(what)?))
    }
    pub fn quant(&mut self, what: &str) -> R<TensorQuant> {
        let scale = self.f32(&format!("{what} scale"))?;
        let zero_point = self.i32(&format!("{what} zero point"))?;
        Ok(TensorQuant { scale, zero_point })
    }
    pub fn clamp(&mut self, what: &str) -> R<Clamp> {
        Ok(Clamp { min: self.i32(what)?, max: self.i32(what)? })
    }
    pub fn i32s(&mut self, n: usize, what: &str) -> R<Vec<i32>> {
        let b = self.take(4 * n, what)?;
        Ok(b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
    /// `count` int8 values; `take` refuses what the payload does not hold before anything is
    /// copied.
    pub fn i8s(&mut self, count: u64, what: &str) -> R<Vec<i8>> {
        let n = usize::try_from(count).map_err(|_| format!("{what}: count {count} too large"))?;
        Ok(self.take(n, what)?.iter().map(|&b| b as i8).collect())
    }
    pub fn f32s(&mut self, n: usize, what: &str) -> R<Vec<f32>> {
        let b = self.take(4 * n, what)?;
        Ok(b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
    /// Per-channel weight scales, multipliers, shifts and biases (`n` <= MAX_DIM).
    pub fn per_channel(&mut self, n: usize) -> R<PerChannel> {
        let weight_scales = self.f32s(n, "weight scales")?;
        let mults = self.i32s(n, "multipliers")?;
        let shifts = self.i32s(n, "shifts")?;
        let multipliers = mults
            .into_iter()
            .zip(shifts)
            .map(|(multiplier, shift)| QuantizedMultiplier { multiplier, shift })
            .collect();
        Ok(PerChannel { weight_scales, multipliers, bias: self.i32s(n, "bias")? })
    }
}
