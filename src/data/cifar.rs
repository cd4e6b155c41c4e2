//! CIFAR-10's binary version: `data_batch_1.bin` ... `data_batch_5.bin` (training) and
//! `test_batch.bin`, each a run of 3,073-byte records: one label byte (0..9), then the 32 x 32
//! red plane, the green plane and the blue plane, each row-major. Records become NHWC images.
//! The files may sit in the folder given or in its `cifar-10-batches-bin/` (the archive's
//! folder). Without a folder, `ensure` downloads the published archive once into the cache,
//! checks its MD5 (the checksum the CIFAR page publishes) and unpacks it.

use crate::data::dataset::{Dataset, Format, Split};
use crate::{QatError, Result};
use qat_int8::model::InputNorm;
use std::io::Read;
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

/// The published binary archive.
pub const URL: &str = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
/// Its MD5, as published beside it.
pub const MD5: &str = "c32a1d4ab5d03f1284b67883e8d87530";

/// Folders searched for CIFAR-10 when `--data` is not given: `../shared/data/cifar-10`,
/// `./data/cifar-10`.
pub fn default_dirs() -> Vec<PathBuf> {
    vec![PathBuf::from("../shared/data/cifar-10"), PathBuf::from("data/cifar-10")]
}

/// MD5 of a file as lowercase hex.
pub fn md5_file(path: &Path) -> Result<String> {
    use md5::{Digest, Md5};
    let bytes = std::fs::read(path).map_err(|e| QatError::io(path, e))?;
    Ok(crate::data::mnist::hex(&Md5::digest(&bytes)))
}

/// Unpacks the batches of a CIFAR-10 binary archive (`.tar.gz`) into `dir`: only regular files
/// named `*.bin` or `*.txt` under `cifar-10-batches-bin/` are written, each by its file name
/// (no path from the archive is trusted).
pub fn unpack(archive: &Path, dir: &Path) -> Result<()> {
    let bad = |detail: String| QatError::BadData { path: archive.into(), detail };
    let file = std::fs::File::open(archive).map_err(|e| QatError::io(archive, e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let out = dir.join(SUBDIR);
    std::fs::create_dir_all(&out).map_err(|e| QatError::io(&out, e))?;
    let mut written = 0;
    for entry in tar.entries().map_err(|e| bad(format!("not a tar.gz archive: {e}")))? {
        let mut entry = entry.map_err(|e| bad(format!("damaged archive: {e}")))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = entry.path().map_err(|e| bad(format!("damaged archive: {e}")))?.into_owned();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let in_folder = path.parent().and_then(|p| p.file_name()).is_some_and(|p| p == SUBDIR);
        if !in_folder || !(name.ends_with(".bin") || name.ends_with(".txt")) {
            continue;
        }
        let dest = out.join(&name);
        let tmp = out.join(format!("{name}.part"));
        let mut f = std::fs::File::create(&tmp).map_err(|e| QatError::io(&tmp, e))?;
        std::io::copy(&mut entry.by_ref().take(MAX_BATCH_BYTES), &mut f)
            .map_err(|e| bad(format!("damaged archive: {e}")))?;
        std::fs::rename(&tmp, &dest).map_err(|e| QatError::io(&dest, e))?;
        written += 1;
    }
    if locate(dir).is_none() {
        return Err(bad(format!("holds {written} batch files but not {} and {}", TRAIN_FILES[0], TEST_FILE)));
    }
    Ok(())
}

/// The CIFAR-10 folder in `cache`, downloading and unpacking the archive from `url` first when
/// it is not there (and `offline` is false). A download whose MD5 is not `md5` is not kept.
pub fn ensure(cache: &Path, url: &str, md5: &str, offline: bool) -> Result<PathBuf> {
    if let Some(d) = locate(cache) {
        return Ok(d);
    }
    if offline {
        return Err(QatError::DataMissing {
            looked_for: format!("CIFAR-10 in {} (--offline: not downloaded)", cache.display()),
        });
    }
    std::fs::create_dir_all(cache).map_err(|e| QatError::io(cache, e))?;
    let archive = cache.join("cifar-10-binary.tar.gz.part");
    crate::data::download::fetch(url, &archive)?;
    let got = md5_file(&archive)?;
    if got != md5 {
        let _ = std::fs::remove_file(&archive);
        return Err(QatError::BadData {
            path: cache.join("cifar-10-binary.tar.gz"),
            detail: format!("downloaded file has MD5 {got}, expected {md5}; not kept"),
        });
    }
    let unpacked = unpack(&archive, cache);
    let _ = std::fs::remove_file(&archive);
    unpacked?;
    locate(cache).ok_or_else(|| QatError::DataMissing { looked_for: format!("CIFAR-10 in {}", cache.display()) })
}

/// The folder holding the batches: `dir` or `dir/cifar-10-batches-bin`, if either has the test
/// batch and the first training batch.
pub fn locate(dir: &Path) -> Option<PathBuf> {
    [dir.to_path_buf(), dir.join(SUBDIR)]
        .into_iter()
        .find(|d| d.join(TEST_FILE).is_file() && d.join(TRAIN_FILES[0]).is_file())
}

/// Decodes the records of one batch file into `split`.
fn read_batch(path: &Path, split: &mut Split) -> Result<()> {
    let bytes = qat_int8::input::read_bounded(path, MAX_BATCH_BYTES, "a CIFAR-10 batch")?;
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
    let mut files = Vec::new();
    for name in TRAIN_FILES {
        let p = folder.join(name);
        if !p.is_file() {
            break;
        }
        read_batch(&p, &mut train)?;
        files.push(p);
    }
    let mut test = empty();
    read_batch(&folder.join(TEST_FILE), &mut test)?;
    files.push(folder.join(TEST_FILE));
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
        label_files: [None, None],
        files,
    })
}
