//! IDX files (the MNIST format), raw or gzip-compressed: big-endian magic
//! `0x00 0x00 type ndim`, `ndim` big-endian u32 dimensions, then the data. Only unsigned-byte
//! data (type 0x08) is accepted. Reading never takes more than the header announces.

use crate::{QatError, Result};
use std::io::Read;
use std::path::Path;

/// An IDX array of bytes with its dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// Dimensions, outermost first.
    pub dims: Vec<u32>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

/// Largest IDX data we read (the header's dimensions multiplied): 4 GiB, above any image set
/// that fits in memory here.
pub const MAX_IDX_BYTES: u64 = 4 << 30;

/// Reads an IDX file, transparently gunzipping it when it starts with the gzip magic. The header
/// is read first; then at most the bytes it announces plus one are read (or decompressed), so
/// a gzip bomb or a device file cannot make us read more than the data set claims to be.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let bad = |detail: String| QatError::BadData { path: path.into(), detail };
    let mut file = std::io::BufReader::new(qat_int8::input::open_regular(path)?.0);
    let gzip = std::io::BufRead::fill_buf(&mut file).map_err(|e| QatError::io(path, e))?.starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn Read> = if gzip { Box::new(flate2::read::GzDecoder::new(file)) } else { Box::new(file) };
    let io = |e: std::io::Error| {
        if gzip {
            bad(format!("gzip stream is corrupt or truncated ({e})"))
        } else {
            QatError::io(path, e)
        }
    };
    let mut head = Vec::with_capacity(4 + 4 * 4);
    (&mut reader).take(4).read_to_end(&mut head).map_err(io)?;
    if head.len() == 4 && head[0] == 0 && head[1] == 0 && (1..=4).contains(&head[3]) {
        (&mut reader).take(4 * head[3] as u64).read_to_end(&mut head).map_err(io)?;
    }
    let (dims, expected) = parse_header(&head).map_err(bad)?;
    let mut data = Vec::new();
    (&mut reader).take(expected + 1).read_to_end(&mut data).map_err(io)?;
    let have = data.len() as u64;
    if have < expected {
        return Err(bad(format!("truncated: dimensions {dims:?} need {expected} data bytes, file has {have}")));
    }
    if have > expected {
        return Err(bad(format!(
            "more data than dimensions {dims:?} announce ({expected} bytes); the file is damaged"
        )));
    }
    Ok(IdxArray { dims, data })
}

/// Parses an IDX header: the dimensions and the data bytes they announce.
fn parse_header(bytes: &[u8]) -> std::result::Result<(Vec<u32>, u64), String> {
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
    let expected: u64 = dims.iter().map(|&d| d as u64).product();
    if expected > MAX_IDX_BYTES {
        return Err(format!("dimensions {dims:?} announce {expected} bytes, more than the {MAX_IDX_BYTES} we read"));
    }
    Ok((dims, expected))
}

/// Parses IDX bytes; the error says what is wrong.
pub fn parse_idx(bytes: &[u8]) -> std::result::Result<IdxArray, String> {
    let (dims, expected) = parse_header(bytes)?;
    let header = 4 + 4 * dims.len();
    let have = (bytes.len() - header) as u64;
    if have < expected {
        return Err(format!("truncated: dimensions {dims:?} need {expected} data bytes, file has {have}"));
    }
    if have > expected {
        return Err(format!("{} trailing bytes after {expected} data bytes for dimensions {dims:?}", have - expected));
    }
    Ok(IdxArray { dims, data: bytes[header..].to_vec() })
}
