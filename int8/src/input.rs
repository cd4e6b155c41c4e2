//! Input files: every file a command is given is opened here. Only a regular file is opened (a
//! folder, device, fifo or socket is refused before `open`, so a fifo cannot block and
//! /dev/zero cannot be read without end), and at most a stated number of bytes is read, checked
//! against the file's length before reading and against what was read, so a file that grows
//! while it is read is refused too.

use crate::{Int8Error, Result};
use std::io::Read;
use std::path::Path;

/// Why `path` is not a file we read.
fn refuse(path: &Path, detail: impl Into<String>) -> Int8Error {
    Int8Error::Input { path: path.into(), detail: detail.into() }
}

/// What kind of thing a non-regular file is, in the user's words.
fn kind(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_fifo() {
            return "a fifo (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if m.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Whether `path` (symlinks followed) is a regular file; an error says what it is instead.
pub fn check_regular(path: &Path) -> Result<u64> {
    let m = std::fs::metadata(path).map_err(|e| Int8Error::io(path, e))?;
    if !m.is_file() {
        return Err(refuse(path, format!("is {}, not a regular file; give a file", kind(&m))));
    }
    Ok(m.len())
}

/// Opens the regular file `path` (see the module comment); returns it and its length.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, u64)> {
    check_regular(path)?;
    let file = std::fs::File::open(path).map_err(|e| Int8Error::io(path, e))?;
    // The file may have been replaced between the check and the open: check what was opened.
    let m = file.metadata().map_err(|e| Int8Error::io(path, e))?;
    if !m.is_file() {
        return Err(refuse(path, format!("is {}, not a regular file; give a file", kind(&m))));
    }
    Ok((file, m.len()))
}

/// Reads the whole regular file `path`, which may hold at most `max_bytes` (`what` names the
/// kind of file in the error: "an ONNX model", "an image").
pub fn read_bounded(path: &Path, max_bytes: u64, what: &str) -> Result<Vec<u8>> {
    let (file, len) = open_regular(path)?;
    let too_big = |n: u64| refuse(path, format!("{n} bytes is more than the {max_bytes} bytes {what} may have"));
    if len > max_bytes {
        return Err(too_big(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max_bytes + 1).read_to_end(&mut bytes).map_err(|e| Int8Error::io(path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}
