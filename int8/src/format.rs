//! The model file, byte for byte as docs/FORMAT.md describes it: a 16-byte header (magic
//! "QATM", format version, payload length, CRC-32 of the payload) and a little-endian payload
//! holding the node graph. Reading parses the bytes (every count is bounded by the bytes left
//! before anything is allocated) and then runs `export::validate`, the same validation the
//! writer runs before it writes, so errors name the field, node and byte offset, and a file
//! that loads can be run.

use crate::limits::{self, InterpreterLimits};
use crate::model::{InputNorm, QNode, QuantModel};
use crate::ops::{QLayer, NEWEST_OP_VERSION};
use crate::payload::{Reader, Writer, R};
use crate::quant::multiplier::Rounding;
use crate::validate::{validate, Invalid};
use crate::{Int8Error, Result};
use std::io::Read;
use std::path::Path;

/// The first four bytes of every model file.
pub const MAGIC: [u8; 4] = *b"QATM";
/// The version this build writes: the newest of the layout's and the ops' (docs/FORMAT.md lists
/// what each version adds; a file of version 2 has x = p / 255 as its input normalization, and
/// version 1 is not read).
pub const VERSION: u16 = if LAYOUT_VERSION > NEWEST_OP_VERSION { LAYOUT_VERSION } else { NEWEST_OP_VERSION };
/// The version of the file's layout around the nodes (header, input, node headers); each op's
/// fields have the version the op list gives (`int8_ops!`), and `VERSION` is the newest of all.
const LAYOUT_VERSION: u16 = crate::payload::EXPLICIT_PADDING_SINCE;
/// The oldest version this build reads.
pub const OLDEST_READ: u16 = 2;
/// Bytes of the header: magic, version, flags, payload length, CRC-32 (docs/FORMAT.md).
pub const HEADER_LEN: usize = 16;

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
        w.0.extend_from_slice(&node.op.header());
        w.u8(node.inputs.len() as u8);
        node.inputs.iter().for_each(|&t| w.u32(t as u32));
        let name = node.name.as_bytes();
        w.0.extend_from_slice(&(name.len() as u16).to_le_bytes());
        w.0.extend_from_slice(name);
        node.op.write(&mut w);
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
    let mut r = Reader { bytes: payload, pos: 0, version };
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
        let node = read_node(&mut r, version, i).map_err(|e| format!("node {i} (payload offset {at}): {e}"))?;
        nodes.push(node);
    }
    if r.pos != payload.len() {
        return Err(format!("{} unexpected bytes after the last node", payload.len() - r.pos));
    }
    let model = QuantModel { rounding, input_shape, input_quant, input_norm, nodes };
    validate(&model, limits).map_err(|e| e.to_string())?;
    Ok(model)
}

/// Parses node `i`: its header here, its fields by its op (`crate::ops`). Sizes are bounded
/// (`Reader::dim`, `Reader::window`) and every array is sliced from the bytes present before it
/// is copied; consistency with the graph is left to `validate`.
fn read_node(r: &mut Reader, version: u16, i: usize) -> R<QNode> {
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
    let op = QLayer::read(tag, version, [b1, b2], r).map_err(|e| format!("{name:?}: {e}"))?;
    Ok(QNode { name, inputs, op })
}
