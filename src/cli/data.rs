//! Finding the data for a command. `--data DIR` names a data set in any format `data::open`
//! reads (MNIST-format IDX files, CIFAR-10 binary batches, an image folder); without it, a
//! model taking 32x32x3 images gets CIFAR-10 (`../shared/data/cifar-10`, `./data/cifar-10`,
//! the download cache) and any other MNIST (`$QAT_DATA`, `../shared/data/mnist`,
//! `./data/mnist`, the download cache), downloaded into the cache unless `--offline`.

use std::path::PathBuf;
use wgpu_qat::data::{cifar, dataset::Dataset, download, mnist};
use wgpu_qat::{QatError, Result};

#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// A data set folder: the four MNIST-format IDX files (.gz or raw; any image size and
    /// number of classes), CIFAR-10's binary batches (data_batch_1.bin ... test_batch.bin), or
    /// an image folder (train/CLASS/*.png|jpg and test/CLASS/*). Default: MNIST, or CIFAR-10
    /// for a model taking 32x32x3 images.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Never download MNIST or CIFAR-10.
    #[arg(long)]
    pub offline: bool,
}

/// Reads the data set for a model taking `input` [h, w, c] images (image folders are fitted to
/// it; other formats must match it, which the caller checks).
pub fn load(args: &DataArgs, input: [u32; 3]) -> Result<Dataset> {
    let data = match &args.data {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(QatError::DataMissing { looked_for: format!("a data set folder at {}", dir.display()) });
            }
            wgpu_qat::data::open(dir, input)?
        }
        None if input == [cifar::SIDE as u32, cifar::SIDE as u32, 3] => {
            // A CIFAR-sized model: CIFAR-10 from the usual folders, else the cache (downloaded).
            let dir = match cifar::default_dirs().into_iter().find_map(|d| cifar::locate(&d)) {
                Some(d) => d,
                None => {
                    let cache = download::cache_of("cifar-10").ok_or_else(|| QatError::DataMissing {
                        looked_for: "CIFAR-10 (no cache folder: set HOME or give --data)".into(),
                    })?;
                    cifar::ensure(&cache, cifar::URL, cifar::MD5, args.offline)?
                }
            };
            cifar::load(&dir)?
        }
        None => {
            let dir = match mnist::locate(None) {
                Ok(dir) => dir,
                Err(e) => match download::cache_dir() {
                    Some(cache) if mnist::is_complete(&cache) => cache,
                    Some(cache) if !args.offline => download::ensure(&cache, download::MIRROR)?,
                    _ => return Err(e),
                },
            };
            mnist::load(&dir)?
        }
    };
    for p in &data.not_genuine {
        eprintln!("warning: {} is not the published MNIST file (checksum differs)", p.display());
    }
    if data.train.count == 0 {
        return Err(QatError::BadData { path: data.dir, detail: "no training images".into() });
    }
    Ok(data)
}

/// Checks that a model file taking `input` images with `classes` outputs can read `data`: the
/// same image shape and the same classes.
pub fn check_input(model: &std::path::Path, input: [u32; 3], classes: usize, data: &Dataset) -> Result<()> {
    if input != data.shape {
        return Err(QatError::Invalid(format!(
            "{} takes {input:?} (h, w, c) inputs; the data in {} is {:?}",
            model.display(),
            data.dir.display(),
            data.shape
        )));
    }
    data.check_classes(classes, &model.display().to_string(), true)
}
