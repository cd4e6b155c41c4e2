//! Output files: checking a path before long work starts, and writing it atomically.
//!
//! A path is usable when, after following symlinks, it names a regular file or nothing, in a
//! folder that exists and takes new files. A symlink is written through to its target (the
//! link stays); a directory, device, fifo or socket is refused, never replaced. A write goes to
//! a uniquely named temporary file in the target's folder (created exclusively, so it can never
//! be the target or another run's file), is flushed to disk, renamed over the target, and the
//! folder is synced: a crash leaves the old file or the new one, never a mix.
//!
//! An output never replaces one of the command's inputs: `Inputs` holds the files a command
//! reads by identity (device and inode where the platform has them, so a symlink or a hard
//! link to an input is the input), and `Inputs::refuse` names both when an output is one.

use crate::{Int8Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Symlinks followed before we call it a loop (Linux's own limit).
const MAX_LINK_HOPS: usize = 40;

fn refuse(path: &Path, detail: impl Into<String>) -> Int8Error {
    Int8Error::Output { path: path.into(), detail: detail.into() }
}

/// Follows symlinks from `path` to the file a write would replace: (target, whether it exists).
fn resolve(path: &Path) -> Result<(PathBuf, bool)> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINK_HOPS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p).map_err(|e| Int8Error::io(&p, e))?;
                p = match p.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(m) if m.is_dir() => return Err(refuse(path, "is a directory; give a file name")),
            Ok(m) if !m.is_file() => {
                return Err(refuse(
                    path,
                    format!("{} is not a regular file (a device, fifo or socket); refusing to replace it", p.display()),
                ))
            }
            Ok(_) => return Ok((p, true)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((p, false)),
            Err(e) => return Err(Int8Error::io(&p, e)),
        }
    }
    Err(refuse(path, format!("more than {MAX_LINK_HOPS} symlinks (a loop?)")))
}

/// The folder of `target` ("." for a bare file name).
fn folder(target: &Path) -> PathBuf {
    match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new, exclusively created temporary file beside `target`.
fn temporary(target: &Path) -> Result<(PathBuf, std::fs::File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = folder(target);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for _ in 0..100 {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let tmp = dir.join(format!(
            ".{name}.{}.{nanos:x}.{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(refuse(target, format!("cannot create a file in folder {} ({e})", dir.display()))),
        }
    }
    Err(refuse(target, "could not find a free temporary name"))
}

/// A checked output path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputPath {
    /// As the user gave it.
    pub path: PathBuf,
    /// The file a write replaces (symlinks followed), with its folder made absolute.
    pub target: PathBuf,
}

impl OutputPath {
    /// Checks `path` before any work: the target is a regular file or absent, its folder exists
    /// and takes new files (tried by creating and removing a temporary file).
    pub fn check(path: &Path) -> Result<OutputPath> {
        if path.as_os_str().is_empty() {
            return Err(refuse(path, "the path is empty"));
        }
        let (target, _) = resolve(path)?;
        let dir = folder(&target);
        if !dir.is_dir() {
            return Err(refuse(path, format!("folder {} does not exist", dir.display())));
        }
        let (tmp, file) = temporary(&target)?;
        drop(file);
        std::fs::remove_file(&tmp).map_err(|e| Int8Error::io(&tmp, e))?;
        let canonical = std::fs::canonicalize(&dir).map_err(|e| Int8Error::io(&dir, e))?;
        let name = target.file_name().ok_or_else(|| refuse(path, "names no file"))?;
        Ok(OutputPath { path: path.into(), target: canonical.join(name) })
    }

    /// Writes `bytes` atomically to the target (see the module comment).
    pub fn write(&self, bytes: &[u8]) -> Result<()> {
        // Check again: the file system may have changed since `check`.
        let (target, _) = resolve(&self.path)?;
        let (tmp, mut file) = temporary(&target)?;
        let written = file.write_all(bytes).and_then(|_| file.sync_all());
        drop(file);
        if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, &target)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(Int8Error::io(&self.path, e));
        }
        // Make the rename itself durable; not every platform can open a folder, so best effort.
        if let Ok(d) = std::fs::File::open(folder(&target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// Checks `path` and writes `bytes` to it atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    OutputPath::check(path)?.write(bytes)
}

/// What identifies a file: (device, inode) on Unix, the canonical path elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Canonical(PathBuf),
}

/// The identity of the file at `path` (symlinks followed); None when there is no such file.
fn identity(path: &Path) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| Identity::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(path).ok().map(Identity::Canonical)
    }
}

/// The files a command reads, each with the flag or role that names it, so that no output can
/// replace one of them.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    files: Vec<(String, PathBuf, Identity)>,
}

impl Inputs {
    /// No inputs yet.
    pub fn new() -> Inputs {
        Inputs::default()
    }

    /// Adds `path`, read as `role` (a flag as the CLI spells it, or "the data set"); a path
    /// that names no file is not an input and is skipped.
    pub fn add(&mut self, role: &str, path: &Path) {
        if let Some(id) = identity(path) {
            self.files.push((role.to_string(), path.to_path_buf(), id));
        }
    }

    /// Adds every file of `paths`, read as `role`.
    pub fn add_all<'a>(&mut self, role: &str, paths: impl IntoIterator<Item = &'a PathBuf>) {
        for p in paths {
            self.add(role, p);
        }
    }

    /// Drops `path` from the inputs (an input a command replaces by design, such as the
    /// checkpoint a resumed run goes on from).
    pub fn remove(&mut self, path: &Path) {
        if let Some(id) = identity(path) {
            self.files.retain(|(_, _, i)| *i != id);
        }
    }

    /// Refuses `out` (given as `flag`) when it is one of the inputs, through any symlink or
    /// hard link: the error names both paths and both flags.
    pub fn refuse(&self, flag: &str, out: &OutputPath) -> Result<()> {
        self.refuse_path(flag, &out.path)
    }

    /// `refuse` for an output path not checked yet (a file that a command writes later).
    pub fn refuse_path(&self, flag: &str, out: &Path) -> Result<()> {
        let Some(id) = identity(out) else { return Ok(()) };
        match self.files.iter().find(|(_, _, i)| *i == id) {
            Some((role, path, _)) => Err(refuse(
                out,
                format!(
                    "{flag} is the same file as {role} {}, which this command reads; refusing to replace an input (give {flag} another path)",
                    path.display()
                ),
            )),
            None => Ok(()),
        }
    }
}
