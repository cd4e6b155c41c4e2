//! IDX files (the MNIST format), raw or gzip-compressed: big-endian magic
//! `0x00 0x00 type ndim`, `ndim` big-endian u32 dimensions, then the data. Only unsigned-byte
//! data (type 0x08) is accepted.

use crate::{QatError, Result};
use std::io::Read;
use std::path::Path;

/// An IDX array of bytes with its dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<u32>,
    pub data: Vec<u8>,
}

/// Reads an IDX file, transparently gunzipping it when it starts with the gzip magic.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let raw = std::fs::read(path).map_err(|e| QatError::io(path, e))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out).map_err(|e| QatError::BadData {
            path: path.into(),
            detail: format!("gzip stream is corrupt or truncated ({e})"),
        })?;
        out
    } else {
        raw
    };
    parse_idx(&bytes).map_err(|detail| QatError::BadData { path: path.into(), detail })
}

/// Parses IDX bytes; the error says what is wrong.
pub fn parse_idx(bytes: &[u8]) -> std::result::Result<IdxArray, String> {
    if bytes.len() < 4 {
        return Err(format!("{} bytes is too short for an IDX header", bytes.len()));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(format!("bad IDX magic {:02x?} (expected 00 00 08 0N)", &bytes[..4]));
    }
    if bytes[2] != 0x08 {
        return Err(format!("IDX data type 0x{:02x} is not unsigned byte (0x08)", bytes[2]));
    }
    let ndim = bytes[3] as usize;
    if ndim == 0 || ndim > 4 {
        return Err(format!("IDX header has {ndim} dimensions"));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(format!("truncated header: {} bytes, need {header}", bytes.len()));
    }
    let dims: Vec<u32> = (0..ndim)
        .map(|i| u32::from_be_bytes([bytes[4 + 4 * i], bytes[5 + 4 * i], bytes[6 + 4 * i], bytes[7 + 4 * i]]))
        .collect();
    let expected = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d as usize)).ok_or("dimensions overflow")?;
    let have = bytes.len() - header;
    if have < expected {
        return Err(format!("truncated: dimensions {dims:?} need {expected} data bytes, file has {have}"));
    }
    if have > expected {
        return Err(format!("{} trailing bytes after {expected} data bytes for dimensions {dims:?}", have - expected));
    }
    Ok(IdxArray { dims, data: bytes[header..].to_vec() })
}
