//! Fetching a data set once into a cache folder, the way Keras does (download, verify checksum,
//! keep): MNIST's four files here, CIFAR-10's archive in `data::cifar`. The network step is one
//! `curl` call per file (`fetch`); everything else (cache location, checksum verification,
//! atomic placement) is plain file logic tested on local files.

use crate::data::mnist::{sha256_file, FILES};
use crate::{QatError, Result};
use std::path::{Path, PathBuf};

/// Public mirror holding the original gzip files.
pub const MIRROR: &str = "https://ossci-datasets.s3.amazonaws.com/mnist";

/// `$QAT_CACHE`, else `$XDG_CACHE_HOME/wgpu-qat/mnist`, else `~/.cache/wgpu-qat/mnist`.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("QAT_CACHE") {
        return Some(PathBuf::from(d));
    }
    cache_of("mnist")
}

/// Moves `tmp` to `dest` if its sha256 is `expected`; otherwise deletes it and errors.
pub fn accept_verified(tmp: &Path, dest: &Path, expected: &str) -> Result<()> {
    let got = sha256_file(tmp)?;
    if got != expected {
        let _ = std::fs::remove_file(tmp);
        return Err(QatError::BadData {
            path: dest.into(),
            detail: format!("downloaded file has sha256 {got}, expected {expected}; not kept"),
        });
    }
    std::fs::rename(tmp, dest).map_err(|e| QatError::io(dest, e))
}

/// The cache folder of data set `name`: `$XDG_CACHE_HOME/wgpu-qat/NAME`, else
/// `~/.cache/wgpu-qat/NAME`.
pub fn cache_of(name: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("wgpu-qat").join(name))
}

/// Downloads `url` to `dest` with curl (any URL curl takes, file:// included); a failed
/// download leaves nothing behind.
pub fn fetch(url: &str, dest: &Path) -> Result<()> {
    eprintln!("downloading {url}");
    let status = std::process::Command::new("curl")
        .args(["--fail", "--location", "--silent", "--show-error", "--output"])
        .arg(dest)
        .arg(url)
        .status()
        .map_err(|e| {
            QatError::Invalid(format!("could not run curl to download {url}: {e} (or give the data folder)"))
        })?;
    if !status.success() {
        let _ = std::fs::remove_file(dest);
        return Err(QatError::Invalid(format!("download of {url} failed ({status}); give the data folder or retry")));
    }
    Ok(())
}

/// Makes sure all four files are in `dir`, downloading the missing ones from `mirror`.
/// Files already there are kept as they are (they are checked when loaded).
pub fn ensure(dir: &Path, mirror: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| QatError::io(dir, e))?;
    for (stem, sha) in FILES {
        let dest = dir.join(format!("{stem}.gz"));
        if dest.is_file() || dir.join(stem).is_file() {
            continue;
        }
        let tmp = dir.join(format!("{stem}.gz.part"));
        fetch(&format!("{mirror}/{stem}.gz"), &tmp)?;
        accept_verified(&tmp, &dest, sha)?;
    }
    Ok(dir.to_path_buf())
}
