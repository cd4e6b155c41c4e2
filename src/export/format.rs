//! The model file, byte for byte as docs/FORMAT.md describes it: a 16-byte header (magic
//! "QATM", format version, payload length, CRC-32 of the payload) and a little-endian payload.
//! Reading checks everything a corrupt or truncated file could break and says where.

use crate::export::model::{Clamp, QLayer, QuantModel};
use crate::ops::conv2d::{output_size, Padding};
use crate::quant::multiplier::{QuantizedMultiplier, Rounding};
use crate::quant::params::TensorQuant;
use crate::{QatError, Result};
use std::path::Path;

pub const MAGIC: [u8; 4] = *b"QATM";
pub const VERSION: u16 = 1;
pub const HEADER_LEN: usize = 16;

const TAG_CONV2D: u8 = 1;
const TAG_MAX_POOL: u8 = 2;
const TAG_RESHAPE: u8 = 3;
const TAG_FULLY_CONNECTED: u8 = 4;
/// Largest dimension we accept, so that products cannot overflow and allocations stay sane.
const MAX_DIM: u32 = 1 << 16;

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f32(&mut self, v: f32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn quant(&mut self, q: &TensorQuant) {
        self.f32(q.scale);
        self.i32(q.zero_point);
    }
    fn clamp(&mut self, c: &Clamp) {
        self.i32(c.min);
        self.i32(c.max);
    }
    fn i8s(&mut self, v: &[i8]) {
        self.0.extend(v.iter().map(|&x| x as u8));
    }
}

/// Serializes a model to bytes (header + payload).
pub fn to_bytes(model: &QuantModel) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.u8(model.rounding as u8);
    w.u8(0);
    w.u8(0);
    w.u8(0);
    for d in model.input_shape {
        w.u32(d);
    }
    w.quant(&model.input_quant);
    w.u32(model.layers.len() as u32);
    for layer in &model.layers {
        match layer {
            QLayer::Conv2d { out_channels, kernel, in_channels, stride, padding, relu, weight_scales, multipliers, bias, weights, output, clamp } => {
                w.u8(TAG_CONV2D);
                w.u8(*padding as u8);
                w.u8(*relu as u8);
                w.u8(0);
                for v in [*out_channels, kernel[0], kernel[1], *in_channels, *stride] {
                    w.u32(v);
                }
                w.quant(output);
                w.clamp(clamp);
                weight_scales.iter().for_each(|&s| w.f32(s));
                multipliers.iter().for_each(|m| w.i32(m.multiplier));
                multipliers.iter().for_each(|m| w.i32(m.shift));
                bias.iter().for_each(|&b| w.i32(b));
                w.i8s(weights);
            }
            QLayer::MaxPool { size, stride } => {
                w.u8(TAG_MAX_POOL);
                w.0.extend_from_slice(&[0; 3]);
                w.u32(*size);
                w.u32(*stride);
            }
            QLayer::Flatten => {
                w.u8(TAG_RESHAPE);
                w.0.extend_from_slice(&[0; 3]);
            }
            QLayer::FullyConnected { units, inputs, relu, weight_scale, bias, weights, output, clamp } => {
                w.u8(TAG_FULLY_CONNECTED);
                w.u8(0);
                w.u8(*relu as u8);
                w.u8(0);
                w.u32(*units);
                w.u32(*inputs);
                w.f32(*weight_scale);
                w.quant(output);
                w.clamp(clamp);
                bias.iter().for_each(|&b| w.i32(b));
                w.i8s(weights);
            }
        }
    }
    let payload = w.0;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Writes the model to `path` atomically: a temporary file in the same folder, then a rename,
/// so an existing file is never left half-written.
pub fn write(model: &QuantModel, path: &Path) -> Result<u64> {
    let bytes = to_bytes(model);
    let tmp = path.with_extension("qat-tmp");
    std::fs::write(&tmp, &bytes).map_err(|e| QatError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        QatError::io(path, e)
    })?;
    Ok(bytes.len() as u64)
}

/// Reads and validates a model file.
pub fn read(path: &Path) -> Result<QuantModel> {
    let bytes = std::fs::read(path).map_err(|e| QatError::io(path, e))?;
    from_bytes(&bytes).map_err(|detail| QatError::BadModel { path: path.into(), detail })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

type R<T> = std::result::Result<T, String>;

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &str) -> R<&[u8]> {
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
    fn u8(&mut self, what: &str) -> R<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &str) -> R<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn dim(&mut self, what: &str) -> R<u32> {
        let v = self.u32(what)?;
        if v == 0 || v > MAX_DIM {
            return Err(format!("{what} = {v} at payload offset {} is out of range 1..={MAX_DIM}", self.pos - 4));
        }
        Ok(v)
    }
    fn i32(&mut self, what: &str) -> R<i32> {
        Ok(self.u32(what)? as i32)
    }
    fn f32(&mut self, what: &str) -> R<f32> {
        Ok(f32::from_bits(self.u32(what)?))
    }
    fn scale(&mut self, what: &str) -> R<f32> {
        let s = self.f32(what)?;
        if !(s.is_finite() && s > 0.0) {
            return Err(format!("{what} = {s} is not a positive finite scale"));
        }
        Ok(s)
    }
    fn quant(&mut self, what: &str) -> R<TensorQuant> {
        let scale = self.scale(&format!("{what} scale"))?;
        let zero_point = self.i32(&format!("{what} zero point"))?;
        if !(-128..=127).contains(&zero_point) {
            return Err(format!("{what} zero point {zero_point} is outside int8"));
        }
        Ok(TensorQuant { scale, zero_point })
    }
    fn clamp(&mut self, what: &str) -> R<Clamp> {
        let min = self.i32(what)?;
        let max = self.i32(what)?;
        if !(-128 <= min && min <= max && max <= 127) {
            return Err(format!("{what} [{min}, {max}] is not a range inside int8"));
        }
        Ok(Clamp { min, max })
    }
    fn i32s(&mut self, n: usize, what: &str) -> R<Vec<i32>> {
        let b = self.take(4 * n, what)?;
        Ok(b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
    fn i8s(&mut self, n: usize, what: &str) -> R<Vec<i8>> {
        Ok(self.take(n, what)?.iter().map(|&b| b as i8).collect())
    }
}

/// Parses and validates model bytes; the error names the field, layer and offset.
pub fn from_bytes(bytes: &[u8]) -> R<QuantModel> {
    if bytes.len() < HEADER_LEN {
        return Err(format!("{} bytes is shorter than the {HEADER_LEN}-byte header", bytes.len()));
    }
    if bytes[0..4] != MAGIC {
        return Err(format!("magic {:02x?} is not \"QATM\"", &bytes[0..4]));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        return Err(format!(
            "format version {version}; this build of wgpu-qat reads version {VERSION} (re-export the model with a matching version)"
        ));
    }
    let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    let crc = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let payload = &bytes[HEADER_LEN..];
    if payload.len() != len {
        return Err(format!("header says {len} payload bytes, file has {} (truncated or padded)", payload.len()));
    }
    let actual = crc32fast::hash(payload);
    if actual != crc {
        return Err(format!("checksum mismatch: header CRC-32 {crc:08x}, payload {actual:08x} (the file is corrupt)"));
    }
    let mut r = Reader { bytes: payload, pos: 0 };
    let rounding = match r.u8("rounding rule")? {
        1 => Rounding::DoubleRounding,
        other => return Err(format!("unknown rounding rule {other}")),
    };
    r.take(3, "reserved")?;
    let input_shape = [r.dim("input height")?, r.dim("input width")?, r.dim("input channels")?];
    let input_quant = r.quant("input")?;
    let count = r.u32("layer count")?;
    if count > 1024 {
        return Err(format!("layer count {count} is implausible"));
    }
    let mut shape = input_shape;
    let mut layers = Vec::new();
    for i in 0..count as usize {
        let at = r.pos;
        let ctx = |e: String| format!("layer {i} (payload offset {at}): {e}");
        let (layer, next) = read_layer(&mut r, shape).map_err(ctx)?;
        layers.push(layer);
        shape = next;
    }
    if r.pos != payload.len() {
        return Err(format!("{} unexpected bytes after the last layer", payload.len() - r.pos));
    }
    match layers.last() {
        Some(QLayer::FullyConnected { .. }) => {}
        _ => return Err("the last layer must be FULLY_CONNECTED (the logits)".into()),
    }
    Ok(QuantModel { rounding, input_shape, input_quant, layers })
}

/// Reads one layer given its input shape; returns the layer and its output shape.
fn read_layer(r: &mut Reader, [h, w, c]: [u32; 3]) -> R<(QLayer, [u32; 3])> {
    let tag = r.u8("layer tag")?;
    let b1 = r.u8("layer flags")?;
    let b2 = r.u8("layer flags")?;
    r.u8("reserved")?;
    match tag {
        TAG_CONV2D => {
            let padding = match b1 {
                0 => Padding::Valid,
                1 => Padding::Same,
                p => return Err(format!("unknown padding {p}")),
            };
            let relu = b2 != 0;
            let o = r.dim("output channels")?;
            let kernel = [r.dim("kernel height")?, r.dim("kernel width")?];
            let in_channels = r.dim("input channels")?;
            let stride = r.dim("stride")?;
            if in_channels != c {
                return Err(format!("CONV_2D expects {in_channels} input channels, its input has {c}"));
            }
            let (Some((oh, _)), Some((ow, _))) = (output_size(h, kernel[0], stride, padding), output_size(w, kernel[1], stride, padding)) else {
                return Err(format!("CONV_2D {kernel:?} stride {stride} does not fit input {h}x{w}"));
            };
            let output = r.quant("output")?;
            let clamp = r.clamp("activation clamp")?;
            let n = o as usize;
            let weight_scales = (0..n).map(|_| r.scale("weight scale")).collect::<R<Vec<_>>>()?;
            let mults = r.i32s(n, "multipliers")?;
            let shifts = r.i32s(n, "shifts")?;
            let mut multipliers = Vec::with_capacity(n);
            for (m, s) in mults.into_iter().zip(shifts) {
                if !(m == 0 || (1 << 30..=i32::MAX).contains(&m)) || !(-31..=30).contains(&s) {
                    return Err(format!("multiplier {m} with shift {s} is not a normalized Q31 multiplier"));
                }
                multipliers.push(QuantizedMultiplier { multiplier: m, shift: s });
            }
            let bias = r.i32s(n, "bias")?;
            let taps = (kernel[0] * kernel[1]) as usize * in_channels as usize;
            check_accumulator(taps, &bias)?;
            let weights = r.i8s(n * taps, "weights")?;
            check_weights(&weights)?;
            let layer = QLayer::Conv2d { out_channels: o, kernel, in_channels, stride, padding, relu, weight_scales, multipliers, bias, weights, output, clamp };
            Ok((layer, [oh, ow, o]))
        }
        TAG_MAX_POOL => {
            let size = r.dim("pool size")?;
            let stride = r.dim("pool stride")?;
            if h < size || w < size {
                return Err(format!("MAX_POOL_2D window {size} does not fit input {h}x{w}"));
            }
            Ok((QLayer::MaxPool { size, stride }, [(h - size) / stride + 1, (w - size) / stride + 1, c]))
        }
        TAG_RESHAPE => Ok((QLayer::Flatten, [1, 1, h * w * c])),
        TAG_FULLY_CONNECTED => {
            let relu = b2 != 0;
            let units = r.dim("units")?;
            let inputs = r.u32("inputs")?;
            if [h, w] != [1, 1] || inputs != c {
                return Err(format!("FULLY_CONNECTED expects {inputs} flat inputs, its input is {h}x{w}x{c}"));
            }
            let weight_scale = r.scale("weight scale")?;
            let output = r.quant("output")?;
            let clamp = r.clamp("activation clamp")?;
            let bias = r.i32s(units as usize, "bias")?;
            check_accumulator(inputs as usize, &bias)?;
            let weights = r.i8s(units as usize * inputs as usize, "weights")?;
            check_weights(&weights)?;
            Ok((QLayer::FullyConnected { units, inputs, relu, weight_scale, bias, weights, output, clamp }, [1, 1, units]))
        }
        t => Err(format!("unknown layer tag {t}")),
    }
}

/// Weights are symmetric narrow-range int8: -128 never occurs.
fn check_weights(w: &[i8]) -> R<()> {
    match w.iter().position(|&v| v == -128) {
        Some(i) => Err(format!("weight {i} is -128, outside the symmetric range [-127, 127]")),
        None => Ok(()),
    }
}

/// The int32 accumulator is safe when |bias| + taps * 255 * 127 < 2^31
/// (|x - zp| <= 255 for int8 x and zp, |w| <= 127).
fn check_accumulator(taps: usize, bias: &[i32]) -> R<()> {
    let worst_bias = bias.iter().map(|b| (*b as i64).abs()).max().unwrap_or(0);
    let bound = worst_bias + taps as i64 * 255 * 127;
    if bound >= 1i64 << 31 {
        return Err(format!("{taps} taps with |bias| up to {worst_bias} could overflow the int32 accumulator"));
    }
    Ok(())
}
