//! MNIST-format data: where to find it, reading the four IDX files (MNIST itself, or any image
//! size, channel count and number of classes under MNIST's file names), and checking files that
//! have MNIST's shape against the published checksums.

use crate::data::dataset::{classes_of, Dataset, Format, Split};
use crate::data::idx::{read_idx, IdxArray};
use crate::{QatError, Result};
use qat_int8::model::InputNorm;
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

/// Samples in the published MNIST training and test files (28 x 28, one channel).
const MNIST_COUNTS: [u32; 2] = [60_000, 10_000];

/// Image shape [h, w, c] of an IDX image array: [n, h, w] or [n, h, w, c].
fn image_shape(path: &Path, arr: &IdxArray) -> Result<[u32; 3]> {
    match arr.dims[..] {
        [_, h, w] => Ok([h, w, 1]),
        [_, h, w, c] => Ok([h, w, c]),
        _ => Err(QatError::BadData {
            path: path.into(),
            detail: format!(
                "an image file has 3 dimensions (count, height, width) or 4 (count, height, width, channels), found {:?}",
                arr.dims
            ),
        }),
    }
}

/// Reads one split; `published` is the MNIST sample count of this split, used to tell a
/// damaged MNIST file from another data set in MNIST's format.
fn read_split(
    dir: &Path,
    images: &str,
    labels: &str,
    published: u32,
    not_genuine: &mut Vec<PathBuf>,
) -> Result<(Split, [u32; 3])> {
    let ip = find_file(dir, images)
        .ok_or_else(|| QatError::DataMissing { looked_for: dir.join(images).display().to_string() })?;
    let lp = find_file(dir, labels)
        .ok_or_else(|| QatError::DataMissing { looked_for: dir.join(labels).display().to_string() })?;
    let img = read_idx(&ip)?;
    let lab = read_idx(&lp)?;
    let shape = image_shape(&ip, &img)?;
    if lab.dims.len() != 1 {
        return Err(QatError::BadData {
            path: lp,
            detail: format!("a label file has 1 dimension (count), found {:?}", lab.dims),
        });
    }
    if img.dims[0] != lab.dims[0] {
        return Err(QatError::BadData {
            path: lp.clone(),
            detail: format!("{} labels for {} images in {}", lab.dims[0], img.dims[0], ip.display()),
        });
    }
    let count = img.dims[0] as usize;
    if count == 0 || shape.contains(&0) {
        return Err(QatError::BadData {
            path: ip,
            detail: format!(
                "holds no images (dimensions {:?}): an empty split cannot be trained or evaluated on",
                img.dims
            ),
        });
    }
    // Only a file shaped like MNIST's can be a damaged copy of it.
    if shape == [28, 28, 1] && img.dims[0] == published {
        for (p, stem) in [(&ip, images), (&lp, labels)] {
            if is_genuine(p, stem)? == Some(false) {
                log::warn!("{}: sha256 differs from the published MNIST file; using it anyway", p.display());
                not_genuine.push(p.clone());
            }
        }
    }
    Ok((Split { images: img.data, labels: lab.data, count }, shape))
}

/// Reads the four IDX files from `dir`: images of any size and channel count, labels of any
/// number of classes (one more than the largest label).
pub fn load(dir: &Path) -> Result<Dataset> {
    let mut not_genuine = Vec::new();
    let files = FILES.iter().filter_map(|(stem, _)| find_file(dir, stem)).collect();
    let (train, shape) = read_split(dir, FILES[0].0, FILES[1].0, MNIST_COUNTS[0], &mut not_genuine)?;
    let (test, test_shape) = read_split(dir, FILES[2].0, FILES[3].0, MNIST_COUNTS[1], &mut not_genuine)?;
    if shape != test_shape {
        return Err(QatError::BadData {
            path: dir.into(),
            detail: format!("train images are {shape:?} (h, w, c) but test images are {test_shape:?}"),
        });
    }
    let classes = classes_of(&train, &test);
    Ok(Dataset {
        dir: dir.into(),
        format: Format::Idx,
        train,
        test,
        shape,
        classes,
        class_names: Vec::new(),
        norm: InputNorm::unit(shape[2]),
        not_genuine,
        label_files: [find_file(dir, FILES[1].0), find_file(dir, FILES[3].0)],
        files,
    })
}
