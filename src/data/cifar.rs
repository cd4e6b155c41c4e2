//! CIFAR-10's binary version: `data_batch_1.bin` ... `data_batch_5.bin` (training) and
//! `test_batch.bin`, each a run of 3,073-byte records: one label byte (0..9), then the 32 x 32
//! red plane, the green plane and the blue plane, each row-major. Records become NHWC images.
//! The files may sit in the folder given or in its `cifar-10-batches-bin/` (the archive's
//! folder).

use crate::data::dataset::{Dataset, Format, Split};
use crate::{QatError, Result};
use qat_int8::InputNorm;
use std::path::{Path, PathBuf};

/// Image side.
pub const SIDE: usize = 32;
/// Bytes of one record: the label, then three planes.
pub const RECORD: usize = 1 + 3 * SIDE * SIDE;
/// The training batches, in order.
pub const TRAIN_FILES: [&str; 5] =
    ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
/// The test batch.
pub const TEST_FILE: &str = "test_batch.bin";
/// The largest batch file read (a published batch holds 10,000 records, about 30 MB).
pub const MAX_BATCH_BYTES: u64 = 64 * 10_000 * RECORD as u64;
/// The archive's folder name.
pub const SUBDIR: &str = "cifar-10-batches-bin";
/// The classes, in label order (`batches.meta.txt`).
pub const CLASSES: [&str; 10] =
    ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

/// The folder holding the batches: `dir` or `dir/cifar-10-batches-bin`, if either has the test
/// batch and the first training batch.
pub fn locate(dir: &Path) -> Option<PathBuf> {
    [dir.to_path_buf(), dir.join(SUBDIR)]
        .into_iter()
        .find(|d| d.join(TEST_FILE).is_file() && d.join(TRAIN_FILES[0]).is_file())
}

/// Decodes the records of one batch file into `split`.
fn read_batch(path: &Path, split: &mut Split) -> Result<()> {
    let len = std::fs::metadata(path).map_err(|e| QatError::io(path, e))?.len();
    if len > MAX_BATCH_BYTES {
        return Err(QatError::BadData {
            path: path.into(),
            detail: format!("{len} bytes is more than a CIFAR-10 batch ({} bytes of 10,000 records)", 10_000 * RECORD),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| QatError::io(path, e))?;
    if bytes.is_empty() || bytes.len() % RECORD != 0 {
        return Err(QatError::BadData {
            path: path.into(),
            detail: format!(
                "{} bytes is not a whole number of {RECORD}-byte records (1 label + 32 x 32 x 3 pixels): truncated or not a CIFAR-10 binary batch",
                bytes.len()
            ),
        });
    }
    let plane = SIDE * SIDE;
    for (r, rec) in bytes.chunks_exact(RECORD).enumerate() {
        let label = rec[0];
        if label > 9 {
            return Err(QatError::BadData {
                path: path.into(),
                detail: format!("record {r} has label {label}; CIFAR-10 labels are 0..9 (is this CIFAR-100?)"),
            });
        }
        split.labels.push(label);
        let px = &rec[1..];
        split.images.extend((0..plane).flat_map(|i| [px[i], px[plane + i], px[2 * plane + i]]));
        split.count += 1;
    }
    Ok(())
}

/// Reads the batches present in `dir` (see `locate`): every training batch there, in order,
/// stopping at the first missing one, and the test batch.
pub fn load(dir: &Path) -> Result<Dataset> {
    let folder = locate(dir).ok_or_else(|| QatError::DataMissing {
        looked_for: format!(
            "{} and {} in {} or {}",
            TRAIN_FILES[0],
            TEST_FILE,
            dir.display(),
            dir.join(SUBDIR).display()
        ),
    })?;
    let empty = || Split { images: Vec::new(), labels: Vec::new(), count: 0 };
    let mut train = empty();
    for name in TRAIN_FILES {
        let p = folder.join(name);
        if !p.is_file() {
            break;
        }
        read_batch(&p, &mut train)?;
    }
    let mut test = empty();
    read_batch(&folder.join(TEST_FILE), &mut test)?;
    Ok(Dataset {
        dir: folder,
        format: Format::Cifar10,
        train,
        test,
        shape: [SIDE as u32, SIDE as u32, 3],
        classes: 10,
        class_names: CLASSES.iter().map(|s| s.to_string()).collect(),
        norm: InputNorm::unit(3),
        not_genuine: Vec::new(),
    })
}
