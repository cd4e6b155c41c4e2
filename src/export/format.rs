//! The model file, byte for byte as docs/FORMAT.md describes it: a 16-byte header (magic
//! "QATM", format version, payload length, CRC-32 of the payload) and a little-endian payload
//! holding the node graph. Reading checks everything a corrupt or truncated file could break
//! and says where.

use crate::export::model::{Clamp, QLayer, QNode, QuantModel};
use crate::ops::conv2d::{output_size, Padding};
use crate::quant::clamp::Activation;
use crate::quant::multiplier::{QuantizedMultiplier, Rounding};
use crate::quant::params::TensorQuant;
use crate::{QatError, Result};
use std::path::Path;

pub const MAGIC: [u8; 4] = *b"QATM";
/// Version 2: node graphs (inputs per node, names), depthwise, pooling, mean, add, concat,
/// ReLU6. Version 1 (single chains of conv/pool/reshape/fully-connected) is not read.
pub const VERSION: u16 = 2;
pub const HEADER_LEN: usize = 16;

const TAG_CONV2D: u8 = 1;
const TAG_MAX_POOL: u8 = 2;
const TAG_RESHAPE: u8 = 3;
const TAG_FULLY_CONNECTED: u8 = 4;
const TAG_DEPTHWISE: u8 = 5;
const TAG_AVG_POOL: u8 = 6;
const TAG_MEAN: u8 = 7;
const TAG_ADD: u8 = 8;
const TAG_CONCAT: u8 = 9;
/// Largest dimension we accept, so that products cannot overflow and allocations stay sane.
const MAX_DIM: u32 = 1 << 16;
const MAX_NODES: u32 = 4096;

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
    fn per_channel(&mut self, scales: &[f32], mults: &[QuantizedMultiplier], bias: &[i32]) {
        scales.iter().for_each(|&s| self.f32(s));
        mults.iter().for_each(|m| self.i32(m.multiplier));
        mults.iter().for_each(|m| self.i32(m.shift));
        bias.iter().for_each(|&b| self.i32(b));
    }
}

fn activation_byte(a: Activation) -> u8 {
    match a {
        Activation::None => 0,
        Activation::Relu => 1,
        Activation::Relu6 => 2,
    }
}

/// Serializes a model to bytes (header + payload).
pub fn to_bytes(model: &QuantModel) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.u8(model.rounding as u8);
    w.0.extend_from_slice(&[0; 3]);
    for d in model.input_shape {
        w.u32(d);
    }
    w.quant(&model.input_quant);
    w.u32(model.nodes.len() as u32);
    for node in &model.nodes {
        let (tag, b1, b2) = match &node.op {
            QLayer::Conv2d { padding, activation, .. } => (TAG_CONV2D, *padding as u8, activation_byte(*activation)),
            QLayer::DepthwiseConv2d { padding, activation, .. } => (TAG_DEPTHWISE, *padding as u8, activation_byte(*activation)),
            QLayer::MaxPool { .. } => (TAG_MAX_POOL, 0, 0),
            QLayer::AvgPool { padding, .. } => (TAG_AVG_POOL, *padding as u8, 0),
            QLayer::Mean { .. } => (TAG_MEAN, 0, 0),
            QLayer::Flatten => (TAG_RESHAPE, 0, 0),
            QLayer::FullyConnected { activation, .. } => (TAG_FULLY_CONNECTED, 0, activation_byte(*activation)),
            QLayer::Add { activation, .. } => (TAG_ADD, 0, activation_byte(*activation)),
            QLayer::Concat => (TAG_CONCAT, 0, 0),
        };
        w.u8(tag);
        w.u8(b1);
        w.u8(b2);
        w.u8(node.inputs.len() as u8);
        node.inputs.iter().for_each(|&t| w.u32(t as u32));
        let name = node.name.as_bytes();
        w.0.extend_from_slice(&(name.len().min(u16::MAX as usize) as u16).to_le_bytes());
        w.0.extend_from_slice(&name[..name.len().min(u16::MAX as usize)]);
        match &node.op {
            QLayer::Conv2d { out_channels, kernel, in_channels, stride, weight_scales, multipliers, bias, weights, output, clamp, .. } => {
                for v in [*out_channels, kernel[0], kernel[1], *in_channels, *stride] {
                    w.u32(v);
                }
                w.quant(output);
                w.clamp(clamp);
                w.per_channel(weight_scales, multipliers, bias);
                w.i8s(weights);
            }
            QLayer::DepthwiseConv2d { channels, kernel, stride, weight_scales, multipliers, bias, weights, output, clamp, .. } => {
                for v in [*channels, kernel[0], kernel[1], *stride] {
                    w.u32(v);
                }
                w.quant(output);
                w.clamp(clamp);
                w.per_channel(weight_scales, multipliers, bias);
                w.i8s(weights);
            }
            QLayer::MaxPool { size, stride } | QLayer::AvgPool { size, stride, .. } => {
                w.u32(*size);
                w.u32(*stride);
            }
            QLayer::Mean { output } => w.quant(output),
            QLayer::Flatten | QLayer::Concat => {}
            QLayer::FullyConnected { units, inputs, weight_scale, bias, weights, output, clamp, .. } => {
                w.u32(*units);
                w.u32(*inputs);
                w.f32(*weight_scale);
                w.quant(output);
                w.clamp(clamp);
                bias.iter().for_each(|&b| w.i32(b));
                w.i8s(weights);
            }
            QLayer::Add { output, clamp, .. } => {
                w.quant(output);
                w.clamp(clamp);
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
    /// Per-channel weight scales, multipliers, shifts and biases.
    fn per_channel(&mut self, n: usize) -> R<(Vec<f32>, Vec<QuantizedMultiplier>, Vec<i32>)> {
        let scales = (0..n).map(|_| self.scale("weight scale")).collect::<R<Vec<_>>>()?;
        let mults = self.i32s(n, "multipliers")?;
        let shifts = self.i32s(n, "shifts")?;
        let mut multipliers = Vec::with_capacity(n);
        for (m, s) in mults.into_iter().zip(shifts) {
            if !(m == 0 || (1 << 30..=i32::MAX).contains(&m)) || !(-31..=30).contains(&s) {
                return Err(format!("multiplier {m} with shift {s} is not a normalized Q31 multiplier"));
            }
            multipliers.push(QuantizedMultiplier { multiplier: m, shift: s });
        }
        Ok((scales, multipliers, self.i32s(n, "bias")?))
    }
}

/// Parses and validates model bytes; the error names the field, node and offset.
pub fn from_bytes(bytes: &[u8]) -> R<QuantModel> {
    if bytes.len() < HEADER_LEN {
        return Err(format!("{} bytes is shorter than the {HEADER_LEN}-byte header", bytes.len()));
    }
    if bytes[0..4] != MAGIC {
        return Err(format!("magic {:02x?} is not \"QATM\"", &bytes[0..4]));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        let hint = if version < VERSION { "it was written by an earlier wgpu-qat; re-export the model" } else { "it was written by a newer wgpu-qat; update this one" };
        return Err(format!("format version {version}; this build reads version {VERSION} ({hint})"));
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
    let count = r.u32("node count")?;
    if count == 0 || count > MAX_NODES {
        return Err(format!("node count {count} is implausible"));
    }
    let mut shapes = vec![input_shape];
    let mut quants = vec![input_quant];
    let mut nodes = Vec::new();
    for i in 0..count as usize {
        let at = r.pos;
        let ctx = |e: String| format!("node {i} (payload offset {at}): {e}");
        let node = read_node(&mut r, i, &shapes, &quants).map_err(ctx)?;
        let (node, shape) = node;
        quants.push(node.op.output_quant().unwrap_or(quants[node.inputs[0]]));
        shapes.push(shape);
        nodes.push(node);
    }
    if r.pos != payload.len() {
        return Err(format!("{} unexpected bytes after the last node", payload.len() - r.pos));
    }
    match nodes.last().map(|n| &n.op) {
        Some(QLayer::FullyConnected { .. }) => {}
        _ => return Err("the last node must be FULLY_CONNECTED (the logits)".into()),
    }
    Ok(QuantModel { rounding, input_shape, input_quant, nodes })
}

fn padding_of(b: u8) -> R<Padding> {
    match b {
        0 => Ok(Padding::Valid),
        1 => Ok(Padding::Same),
        p => Err(format!("unknown padding {p}")),
    }
}

fn activation_of(b: u8) -> R<Activation> {
    match b {
        0 => Ok(Activation::None),
        1 => Ok(Activation::Relu),
        2 => Ok(Activation::Relu6),
        a => Err(format!("unknown activation {a}")),
    }
}

/// Reads node `i` given the shapes and quantization of tensors 0..=i; returns it and its
/// output shape.
fn read_node(r: &mut Reader, i: usize, shapes: &[[u32; 3]], quants: &[TensorQuant]) -> R<(QNode, [u32; 3])> {
    let tag = r.u8("node tag")?;
    let b1 = r.u8("node flags")?;
    let b2 = r.u8("node flags")?;
    let n_inputs = r.u8("input count")? as usize;
    let expected = match tag {
        TAG_ADD => 2..=2,
        TAG_CONCAT => 2..=64,
        _ => 1..=1,
    };
    if !expected.contains(&n_inputs) {
        return Err(format!("tag {tag} takes {expected:?} inputs, node has {n_inputs}"));
    }
    let mut inputs = Vec::with_capacity(n_inputs);
    for _ in 0..n_inputs {
        let t = r.u32("input tensor")? as usize;
        if t > i {
            return Err(format!("reads tensor {t}, which is not made before node {i}"));
        }
        inputs.push(t);
    }
    let name_len = {
        let b = r.take(2, "name length")?;
        u16::from_le_bytes([b[0], b[1]]) as usize
    };
    let name = String::from_utf8(r.take(name_len, "name")?.to_vec()).map_err(|_| "node name is not UTF-8".to_string())?;
    let named = |e: String| format!("{name:?}: {e}");
    let [h, w, c] = shapes[inputs[0]];
    let (op, shape) = (|| -> R<(QLayer, [u32; 3])> {
        match tag {
            TAG_CONV2D => {
                let padding = padding_of(b1)?;
                let activation = activation_of(b2)?;
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
                let (weight_scales, multipliers, bias) = r.per_channel(o as usize)?;
                let taps = (kernel[0] * kernel[1] * in_channels) as usize;
                check_accumulator(taps, &bias)?;
                let weights = r.i8s(o as usize * taps, "weights")?;
                check_weights(&weights)?;
                Ok((QLayer::Conv2d { out_channels: o, kernel, in_channels, stride, padding, activation, weight_scales, multipliers, bias, weights, output, clamp }, [oh, ow, o]))
            }
            TAG_DEPTHWISE => {
                let padding = padding_of(b1)?;
                let activation = activation_of(b2)?;
                let channels = r.dim("channels")?;
                let kernel = [r.dim("kernel height")?, r.dim("kernel width")?];
                let stride = r.dim("stride")?;
                if channels != c {
                    return Err(format!("DEPTHWISE_CONV_2D has {channels} channels, its input has {c}"));
                }
                let (Some((oh, _)), Some((ow, _))) = (output_size(h, kernel[0], stride, padding), output_size(w, kernel[1], stride, padding)) else {
                    return Err(format!("DEPTHWISE_CONV_2D {kernel:?} stride {stride} does not fit input {h}x{w}"));
                };
                let output = r.quant("output")?;
                let clamp = r.clamp("activation clamp")?;
                let (weight_scales, multipliers, bias) = r.per_channel(c as usize)?;
                let taps = (kernel[0] * kernel[1]) as usize;
                check_accumulator(taps, &bias)?;
                let weights = r.i8s(taps * c as usize, "weights")?;
                check_weights(&weights)?;
                Ok((QLayer::DepthwiseConv2d { channels, kernel, stride, padding, activation, weight_scales, multipliers, bias, weights, output, clamp }, [oh, ow, c]))
            }
            TAG_MAX_POOL | TAG_AVG_POOL => {
                let size = r.dim("pool size")?;
                let stride = r.dim("pool stride")?;
                if tag == TAG_MAX_POOL {
                    if h < size || w < size {
                        return Err(format!("MAX_POOL_2D window {size} does not fit input {h}x{w}"));
                    }
                    return Ok((QLayer::MaxPool { size, stride }, [(h - size) / stride + 1, (w - size) / stride + 1, c]));
                }
                let padding = padding_of(b1)?;
                let (Some((oh, _)), Some((ow, _))) = (output_size(h, size, stride, padding), output_size(w, size, stride, padding)) else {
                    return Err(format!("AVERAGE_POOL_2D window {size} does not fit input {h}x{w}"));
                };
                Ok((QLayer::AvgPool { size, stride, padding }, [oh, ow, c]))
            }
            TAG_MEAN => Ok((QLayer::Mean { output: r.quant("output")? }, [1, 1, c])),
            TAG_RESHAPE => Ok((QLayer::Flatten, [1, 1, h * w * c])),
            TAG_FULLY_CONNECTED => {
                let activation = activation_of(b2)?;
                let units = r.dim("units")?;
                let n = r.u32("inputs")?;
                if [h, w] != [1, 1] || n != c {
                    return Err(format!("FULLY_CONNECTED expects {n} flat inputs, its input is {h}x{w}x{c}"));
                }
                let weight_scale = r.scale("weight scale")?;
                let output = r.quant("output")?;
                let clamp = r.clamp("activation clamp")?;
                let bias = r.i32s(units as usize, "bias")?;
                check_accumulator(n as usize, &bias)?;
                let weights = r.i8s(units as usize * n as usize, "weights")?;
                check_weights(&weights)?;
                Ok((QLayer::FullyConnected { units, inputs: n, activation, weight_scale, bias, weights, output, clamp }, [1, 1, units]))
            }
            TAG_ADD => {
                let activation = activation_of(b2)?;
                if shapes[inputs[1]] != [h, w, c] {
                    return Err(format!("ADD inputs have different shapes {:?} and {:?}", [h, w, c], shapes[inputs[1]]));
                }
                let output = r.quant("output")?;
                let clamp = r.clamp("activation clamp")?;
                Ok((QLayer::Add { activation, output, clamp }, [h, w, c]))
            }
            TAG_CONCAT => {
                let q0 = quants[inputs[0]];
                let mut channels = 0;
                for &t in &inputs {
                    let s = shapes[t];
                    if s[0] != h || s[1] != w {
                        return Err(format!("CONCATENATION inputs differ in height/width: {:?} and {s:?}", [h, w, c]));
                    }
                    if quants[t] != q0 {
                        return Err(format!("CONCATENATION inputs must share one scale and zero point: tensor {t} has {:?}, tensor {} {q0:?}", quants[t], inputs[0]));
                    }
                    channels += s[2];
                }
                Ok((QLayer::Concat, [h, w, channels]))
            }
            t => Err(format!("unknown node tag {t}")),
        }
    })()
    .map_err(named)?;
    Ok((QNode { name, inputs, op }, shape))
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
