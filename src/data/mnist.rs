//! MNIST: where to find it, reading the four IDX files, and checking them against the published
//! checksums.

use crate::data::idx::{read_idx, IdxArray};
use crate::{QatError, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The four files, as published, with their sha256 (of the .gz file) and sha256 of the
/// decompressed contents is not needed: we check the .gz when that is what we read.
pub const FILES: [(&str, &str); 4] = [
    ("train-images-idx3-ubyte", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    ("train-labels-idx1-ubyte", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    ("t10k-images-idx3-ubyte", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    ("t10k-labels-idx1-ubyte", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
];

/// Images as u8 NHWC with c = 1, labels as u8.
#[derive(Debug, Clone)]
pub struct Split {
    /// Images, `count` x rows x cols bytes.
    pub images: Vec<u8>,
    /// Labels, one byte each.
    pub labels: Vec<u8>,
    /// Samples.
    pub count: usize,
}

impl Split {
    /// The samples [start, start + len).
    pub fn slice(&self, start: usize, len: usize, pixels: usize) -> Split {
        Split {
            images: self.images[start * pixels..(start + len) * pixels].to_vec(),
            labels: self.labels[start..start + len].to_vec(),
            count: len,
        }
    }
}

#[derive(Debug, Clone)]
/// MNIST as read: the training and test splits.
pub struct Mnist {
    /// The 60,000 training samples (validation is split off later).
    pub train: Split,
    /// The 10,000 test samples.
    pub test: Split,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
    /// Files whose checksum is not the published one (read anyway).
    pub not_genuine: Vec<PathBuf>,
}

/// Directories searched when `--data` is not given: `$QAT_DATA`, `../shared/data/mnist`,
/// `./data/mnist`.
pub fn default_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("QAT_DATA") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from("../shared/data/mnist"));
    dirs.push(PathBuf::from("data/mnist"));
    dirs
}

/// The path of one MNIST file in `dir` (gzip preferred, raw accepted), if present.
pub fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()].into_iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// True when `dir` holds all four files.
pub fn is_complete(dir: &Path) -> bool {
    FILES.iter().all(|(stem, _)| find_file(dir, stem).is_some())
}

/// Picks the data directory: `explicit` if given (it must be complete), else the first complete
/// default directory. The error lists every file looked for.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    let dirs = match explicit {
        Some(d) => vec![d.to_path_buf()],
        None => default_dirs(),
    };
    if let Some(d) = dirs.iter().find(|d| is_complete(d)) {
        return Ok(d.clone());
    }
    let looked: Vec<String> = dirs
        .iter()
        .flat_map(|d| FILES.iter().map(move |(stem, _)| format!("{}[.gz]", d.join(stem).display())))
        .collect();
    Err(QatError::DataMissing { looked_for: looked.join(", ") })
}

/// sha256 of a file as lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| QatError::io(path, e))?;
    Ok(hex(&Sha256::digest(&bytes)))
}

/// Lower-case hex of `bytes` (checksums).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a .gz file is the published one. Raw (decompressed) files have no published
/// checksum here and are checked by their structure only.
pub fn is_genuine(path: &Path, stem: &str) -> Result<Option<bool>> {
    if path.extension().and_then(|e| e.to_str()) != Some("gz") {
        return Ok(None);
    }
    let want = FILES.iter().find(|(s, _)| *s == stem).map(|(_, h)| *h);
    want.map(|w| sha256_file(path).map(|h| h == w)).transpose()
}

fn expect_dims(path: &Path, arr: &IdxArray, ndim: usize) -> Result<()> {
    if arr.dims.len() != ndim {
        return Err(QatError::BadData {
            path: path.into(),
            detail: format!("expected {ndim} dimensions, found {:?}", arr.dims),
        });
    }
    Ok(())
}

fn read_split(dir: &Path, images: &str, labels: &str, not_genuine: &mut Vec<PathBuf>) -> Result<(Split, usize, usize)> {
    let ip = find_file(dir, images)
        .ok_or_else(|| QatError::DataMissing { looked_for: dir.join(images).display().to_string() })?;
    let lp = find_file(dir, labels)
        .ok_or_else(|| QatError::DataMissing { looked_for: dir.join(labels).display().to_string() })?;
    for (p, stem) in [(&ip, images), (&lp, labels)] {
        if is_genuine(p, stem)? == Some(false) {
            log::warn!("{}: sha256 differs from the published MNIST file; using it anyway", p.display());
            not_genuine.push(p.clone());
        }
    }
    let img = read_idx(&ip)?;
    let lab = read_idx(&lp)?;
    expect_dims(&ip, &img, 3)?;
    expect_dims(&lp, &lab, 1)?;
    if img.dims[0] != lab.dims[0] {
        return Err(QatError::BadData {
            path: lp.clone(),
            detail: format!("{} labels for {} images in {}", lab.dims[0], img.dims[0], ip.display()),
        });
    }
    if let Some(bad) = lab.data.iter().position(|&l| l > 9) {
        return Err(QatError::BadData {
            path: lp,
            detail: format!("label {} at index {bad} is not a digit 0..9", lab.data[bad]),
        });
    }
    let count = img.dims[0] as usize;
    if count == 0 || img.dims[1] == 0 || img.dims[2] == 0 {
        return Err(QatError::BadData {
            path: ip,
            detail: format!(
                "holds no images (dimensions {:?}): an empty split cannot be trained or evaluated on",
                img.dims
            ),
        });
    }
    Ok((Split { images: img.data, labels: lab.data, count }, img.dims[1] as usize, img.dims[2] as usize))
}

impl Mnist {
    /// Reads the four files from `dir`.
    pub fn load(dir: &Path) -> Result<Mnist> {
        let mut not_genuine = Vec::new();
        let (train, rows, cols) = read_split(dir, FILES[0].0, FILES[1].0, &mut not_genuine)?;
        let (test, trows, tcols) = read_split(dir, FILES[2].0, FILES[3].0, &mut not_genuine)?;
        if (rows, cols) != (trows, tcols) {
            return Err(QatError::BadData {
                path: dir.into(),
                detail: format!("train images are {rows}x{cols} but test images are {trows}x{tcols}"),
            });
        }
        Ok(Mnist { train, test, rows, cols, not_genuine })
    }
    /// Pixels per image.
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }
}
