//! The model file, byte for byte as docs/FORMAT.md describes it: a 16-byte header (magic
//! "QATM", format version, payload length, CRC-32 of the payload) and a little-endian payload
//! holding the node graph. Reading parses the bytes (every count is bounded by the bytes left
//! before anything is allocated) and then runs `export::validate`, the same validation the
//! writer runs before it writes, so errors name the field, node and byte offset, and a file
//! that loads can be run.

use crate::limits::{self, InterpreterLimits};
use crate::model::{Clamp, InputNorm, QLayer, QNode, QuantModel};
use crate::quant::clamp::Activation;
use crate::quant::multiplier::{QuantizedMultiplier, Rounding};
use crate::quant::params::TensorQuant;
use crate::shape::Padding;
use crate::validate::{validate, Invalid};
use crate::{Int8Error, Result};
use std::io::Read;
use std::path::Path;

/// The first four bytes of every model file.
pub const MAGIC: [u8; 4] = *b"QATM";
/// Version 3: version 2 and the input normalization. Version 2: node graphs (inputs per node,
/// names), depthwise, pooling, mean, add, concat, ReLU6; still read (its normalization is
/// x = p / 255). Version 1 (single chains of conv/pool/reshape/fully-connected) is not read.
pub const VERSION: u16 = 3;
/// The oldest version this build reads.
pub const OLDEST_READ: u16 = 2;
/// Bytes of the header: magic, version, flags, payload length, CRC-32 (docs/FORMAT.md).
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

/// Validates a model and serializes it to bytes (header + payload).
pub fn to_bytes(model: &QuantModel) -> std::result::Result<Vec<u8>, Invalid> {
    validate(model, &InterpreterLimits::from_env())?;
    Ok(encode(model))
}

/// The bytes of a model that `validate` accepted: every count fits its field.
fn encode(model: &QuantModel) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.u8(model.rounding as u8);
    w.0.extend_from_slice(&[0; 3]);
    for d in model.input_shape {
        w.u32(d);
    }
    w.quant(&model.input_quant);
    for (&m, &s) in model.input_norm.mean.iter().zip(&model.input_norm.std) {
        w.f32(m);
        w.f32(s);
    }
    w.u32(model.nodes.len() as u32);
    for node in &model.nodes {
        let (tag, b1, b2) = match &node.op {
            QLayer::Conv2d { padding, activation, .. } => (TAG_CONV2D, *padding as u8, activation_byte(*activation)),
            QLayer::DepthwiseConv2d { padding, activation, .. } => {
                (TAG_DEPTHWISE, *padding as u8, activation_byte(*activation))
            }
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
        w.0.extend_from_slice(&(name.len() as u16).to_le_bytes());
        w.0.extend_from_slice(name);
        match &node.op {
            QLayer::Conv2d {
                out_channels,
                kernel,
                in_channels,
                stride,
                weight_scales,
                multipliers,
                bias,
                weights,
                output,
                clamp,
                ..
            } => {
                for v in [*out_channels, kernel[0], kernel[1], *in_channels, *stride] {
                    w.u32(v);
                }
                w.quant(output);
                w.clamp(clamp);
                w.per_channel(weight_scales, multipliers, bias);
                w.i8s(weights);
            }
            QLayer::DepthwiseConv2d {
                channels,
                kernel,
                stride,
                weight_scales,
                multipliers,
                bias,
                weights,
                output,
                clamp,
                ..
            } => {
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

/// Validates the model and writes it to `path` atomically (`output::OutputPath::write`): a model
/// that would not load is refused with the node and the cause, and nothing is written.
pub fn write(model: &QuantModel, path: &Path) -> Result<u64> {
    let bytes = to_bytes(model).map_err(|e| invalid_export(path, e))?;
    crate::output::write_atomic(path, &bytes)?;
    Ok(bytes.len() as u64)
}

/// The error for a model the writer refuses; a quantization parameter out of range is what a
/// diverged run leaves behind, so say so.
pub fn invalid_export(path: &Path, e: Invalid) -> Int8Error {
    let hint = if e.looks_diverged() { "; training probably diverged: try a lower learning rate" } else { "" };
    Int8Error::InvalidModel { path: path.into(), detail: format!("{e}{hint}") }
}

/// Reads and validates a model file with the interpreter limits from the environment
/// (`InterpreterLimits::from_env`).
pub fn read(path: &Path) -> Result<QuantModel> {
    read_with(path, &InterpreterLimits::from_env())
}

/// Reads and validates a model file. Only the 16-byte header is read before the file's length
/// is known to be plausible: at most `limits::MAX_FILE_BYTES`, and what the header announces.
pub fn read_with(path: &Path, limits: &InterpreterLimits) -> Result<QuantModel> {
    let bad = |detail: String| Int8Error::BadModel { path: path.into(), detail };
    let (mut file, _) = crate::input::open_regular(path)?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    (&mut file).take(HEADER_LEN as u64).read_to_end(&mut header).map_err(|e| Int8Error::io(path, e))?;
    let (_, payload_len) = check_header(&header).map_err(bad)?;
    let mut bytes = header;
    (&mut file).take(payload_len as u64 + 1).read_to_end(&mut bytes).map_err(|e| Int8Error::io(path, e))?;
    from_bytes_with(&bytes, limits).map_err(bad)
}

/// Checks the header's magic, version, flags and payload length; returns the version and the
/// payload length.
fn check_header(bytes: &[u8]) -> R<(u16, usize)> {
    if bytes.len() < HEADER_LEN {
        return Err(format!("{} bytes is shorter than the {HEADER_LEN}-byte header", bytes.len()));
    }
    if bytes[0..4] != MAGIC {
        return Err(format!("magic {:02x?} is not \"QATM\"", &bytes[0..4]));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if !(OLDEST_READ..=VERSION).contains(&version) {
        let hint = if version < VERSION {
            "it was written by an earlier wgpu-qat; re-export the model"
        } else {
            "it was written by a newer wgpu-qat; update this one"
        };
        return Err(format!("format version {version}; this build reads versions {OLDEST_READ} to {VERSION} ({hint})"));
    }
    let flags = u16::from_le_bytes([bytes[6], bytes[7]]);
    if flags != 0 {
        return Err(format!("header flags {flags:#06x} are not 0 (no flags are defined in version {VERSION})"));
    }
    let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as u64;
    if len + HEADER_LEN as u64 > limits::MAX_FILE_BYTES {
        return Err(format!(
            "header announces {len} payload bytes, more than the {} bytes a model file may have",
            limits::MAX_FILE_BYTES
        ));
    }
    Ok((version, len as usize))
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
    /// A dimension or count: 1..=MAX_DIM, so no product of a few of them can wrap in u64 and
    /// no loop over one runs long.
    fn dim(&mut self, what: &str) -> R<u32> {
        self.in_range(what, limits::MAX_DIM)
    }
    /// A kernel, window or stride size: 1..=MAX_KERNEL.
    fn window(&mut self, what: &str) -> R<u32> {
        self.in_range(what, limits::MAX_KERNEL)
    }
    /// A u32 in 1..=max, the error naming its payload offset.
    fn in_range(&mut self, what: &str, max: u32) -> R<u32> {
        let v = self.u32(what)?;
        if v == 0 || v > max {
            return Err(format!("{what} = {v} at payload offset {} is out of range 1..={max}", self.pos - 4));
        }
        Ok(v)
    }
    fn i32(&mut self, what: &str) -> R<i32> {
        Ok(self.u32(what)? as i32)
    }
    fn f32(&mut self, what: &str) -> R<f32> {
        Ok(f32::from_bits(self.u32(what)?))
    }
    fn quant(&mut self, what: &str) -> R<TensorQuant> {
        let scale = self.f32(&format!("{what} scale"))?;
        let zero_point = self.i32(&format!("{what} zero point"))?;
        Ok(TensorQuant { scale, zero_point })
    }
    fn clamp(&mut self, what: &str) -> R<Clamp> {
        Ok(Clamp { min: self.i32(what)?, max: self.i32(what)? })
    }
    fn i32s(&mut self, n: usize, what: &str) -> R<Vec<i32>> {
        let b = self.take(4 * n, what)?;
        Ok(b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
    fn i8s(&mut self, n: usize, what: &str) -> R<Vec<i8>> {
        Ok(self.take(n, what)?.iter().map(|&b| b as i8).collect())
    }
    fn f32s(&mut self, n: usize, what: &str) -> R<Vec<f32>> {
        let b = self.take(4 * n, what)?;
        Ok(b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
    /// Per-channel weight scales, multipliers, shifts and biases (`n` <= MAX_DIM).
    fn per_channel(&mut self, n: usize) -> R<(Vec<f32>, Vec<QuantizedMultiplier>, Vec<i32>)> {
        let scales = self.f32s(n, "weight scales")?;
        let mults = self.i32s(n, "multipliers")?;
        let shifts = self.i32s(n, "shifts")?;
        let multipliers = mults
            .into_iter()
            .zip(shifts)
            .map(|(multiplier, shift)| QuantizedMultiplier { multiplier, shift })
            .collect();
        Ok((scales, multipliers, self.i32s(n, "bias")?))
    }
}

/// Parses and validates model bytes with the default interpreter limits.
pub fn from_bytes(bytes: &[u8]) -> R<QuantModel> {
    from_bytes_with(bytes, &InterpreterLimits::default())
}

/// Parses and validates model bytes; the error names the field, node and offset.
pub fn from_bytes_with(bytes: &[u8], limits: &InterpreterLimits) -> R<QuantModel> {
    let (version, len) = check_header(bytes)?;
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
    let reserved = r.take(3, "reserved")?;
    if reserved != [0, 0, 0] {
        return Err(format!("reserved bytes {reserved:02x?} at payload offset 1 are not zero"));
    }
    let input_shape = [r.dim("input height")?, r.dim("input width")?, r.dim("input channels")?];
    let input_quant = r.quant("input")?;
    let input_norm = if version >= 3 {
        let pairs = r.f32s(2 * input_shape[2] as usize, "input normalization")?;
        InputNorm {
            mean: pairs.iter().step_by(2).copied().collect(),
            std: pairs.iter().skip(1).step_by(2).copied().collect(),
        }
    } else {
        InputNorm::unit(input_shape[2])
    };
    let count = r.u32("node count")?;
    if count == 0 || count as usize > limits::MAX_LAYERS {
        return Err(format!("node count {count} is outside 1..={}", limits::MAX_LAYERS));
    }
    let mut nodes = Vec::new();
    for i in 0..count as usize {
        let at = r.pos;
        let node = read_node(&mut r, i).map_err(|e| format!("node {i} (payload offset {at}): {e}"))?;
        nodes.push(node);
    }
    if r.pos != payload.len() {
        return Err(format!("{} unexpected bytes after the last node", payload.len() - r.pos));
    }
    let model = QuantModel { rounding, input_shape, input_quant, input_norm, nodes };
    validate(&model, limits).map_err(|e| e.to_string())?;
    Ok(model)
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

/// Parses node `i`. Sizes are bounded (`Reader::dim`, `Reader::window`) and every array is
/// sliced from the bytes present before it is copied; consistency with the graph is left to
/// `validate`.
fn read_node(r: &mut Reader, i: usize) -> R<QNode> {
    let tag = r.u8("node tag")?;
    let b1 = r.u8("node flags")?;
    let b2 = r.u8("node flags")?;
    let n_inputs = r.u8("input count")? as usize;
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
    let name =
        String::from_utf8(r.take(name_len, "name")?.to_vec()).map_err(|_| "node name is not UTF-8".to_string())?;
    // Flag bytes that an op does not use must be zero.
    let unused =
        |b: u8, what: &str| if b == 0 { Ok(()) } else { Err(format!("{what} byte is {b}, must be 0 for this op")) };
    let named = |e: String| format!("{name:?}: {e}");
    let op = (|| -> R<QLayer> {
        match tag {
            TAG_CONV2D => {
                let padding = padding_of(b1)?;
                let activation = activation_of(b2)?;
                let out_channels = r.dim("output channels")?;
                let kernel = [r.window("kernel height")?, r.window("kernel width")?];
                let in_channels = r.dim("input channels")?;
                let stride = r.window("stride")?;
                let output = r.quant("output")?;
                let clamp = r.clamp("activation clamp")?;
                let (weight_scales, multipliers, bias) = r.per_channel(out_channels as usize)?;
                // At most 2^16 * 64 * 64 * 2^16 < 2^44: no wrap in u64; `take` refuses what the
                // file does not hold before anything is copied.
                let count = out_channels as u64 * kernel[0] as u64 * kernel[1] as u64 * in_channels as u64;
                let weights =
                    r.i8s(usize::try_from(count).map_err(|_| "weight count too large".to_string())?, "weights")?;
                Ok(QLayer::Conv2d {
                    out_channels,
                    kernel,
                    in_channels,
                    stride,
                    padding,
                    activation,
                    weight_scales,
                    multipliers,
                    bias,
                    weights,
                    output,
                    clamp,
                })
            }
            TAG_DEPTHWISE => {
                let padding = padding_of(b1)?;
                let activation = activation_of(b2)?;
                let channels = r.dim("channels")?;
                let kernel = [r.window("kernel height")?, r.window("kernel width")?];
                let stride = r.window("stride")?;
                let output = r.quant("output")?;
                let clamp = r.clamp("activation clamp")?;
                let (weight_scales, multipliers, bias) = r.per_channel(channels as usize)?;
                let count = kernel[0] as usize * kernel[1] as usize * channels as usize;
                let weights = r.i8s(count, "weights")?;
                Ok(QLayer::DepthwiseConv2d {
                    channels,
                    kernel,
                    stride,
                    padding,
                    activation,
                    weight_scales,
                    multipliers,
                    bias,
                    weights,
                    output,
                    clamp,
                })
            }
            TAG_MAX_POOL => {
                unused(b1, "padding")?;
                unused(b2, "activation")?;
                Ok(QLayer::MaxPool { size: r.window("pool size")?, stride: r.window("pool stride")? })
            }
            TAG_AVG_POOL => {
                let padding = padding_of(b1)?;
                unused(b2, "activation")?;
                Ok(QLayer::AvgPool { size: r.window("pool size")?, stride: r.window("pool stride")?, padding })
            }
            TAG_MEAN | TAG_RESHAPE | TAG_CONCAT => {
                unused(b1, "padding")?;
                unused(b2, "activation")?;
                Ok(match tag {
                    TAG_MEAN => QLayer::Mean { output: r.quant("output")? },
                    TAG_RESHAPE => QLayer::Flatten,
                    _ => QLayer::Concat,
                })
            }
            TAG_FULLY_CONNECTED => {
                unused(b1, "padding")?;
                let activation = activation_of(b2)?;
                let units = r.dim("units")?;
                let inputs = r.u32("inputs")?;
                if inputs == 0 || inputs as u64 > limits::MAX_TENSOR_ELEMENTS {
                    return Err(format!("inputs = {inputs} is out of range 1..={}", limits::MAX_TENSOR_ELEMENTS));
                }
                let weight_scale = r.f32("weight scale")?;
                let output = r.quant("output")?;
                let clamp = r.clamp("activation clamp")?;
                let bias = r.i32s(units as usize, "bias")?;
                let count = units as u64 * inputs as u64;
                let weights =
                    r.i8s(usize::try_from(count).map_err(|_| "weight count too large".to_string())?, "weights")?;
                Ok(QLayer::FullyConnected { units, inputs, activation, weight_scale, bias, weights, output, clamp })
            }
            TAG_ADD => {
                unused(b1, "padding")?;
                let activation = activation_of(b2)?;
                let output = r.quant("output")?;
                let clamp = r.clamp("activation clamp")?;
                Ok(QLayer::Add { activation, output, clamp })
            }
            t => Err(format!("unknown node tag {t}")),
        }
    })()
    .map_err(named)?;
    Ok(QNode { name, inputs, op })
}
