//! Data: the readers (MNIST-format IDX, CIFAR-10 binary batches, image folders) that all give a
//! `Dataset`, MNIST discovery/verification/caching, the user's own images and seeded shuffling
//! (GPU-free: the GPU-resident copy batches are gathered from is `ops::gather::GpuDataset`).

pub mod cifar;
pub mod dataset;
pub mod download;
pub mod folder;
pub mod idx;
pub mod image;
pub mod mnist;
pub mod rng;

use dataset::Dataset;

use crate::Result;
use std::path::Path;

/// Reads the data set in `dir`, whichever format it holds: an image folder (`train/` and
/// `test/`, images fitted to `input` [h, w, c]), CIFAR-10 binary batches, or the four IDX
/// files under MNIST's names. A folder with none of them is an error listing what was looked for.
pub fn open(dir: &Path, input: [u32; 3]) -> Result<Dataset> {
    if folder::is_image_folder(dir) {
        folder::load(dir, input)
    } else if cifar::locate(dir).is_some() {
        cifar::load(dir)
    } else if mnist::is_complete(dir) {
        mnist::load(dir)
    } else {
        Err(crate::QatError::DataMissing {
            looked_for: format!(
                "in {}: the four MNIST-format IDX files ({}), CIFAR-10's {} and {}, or train/ and test/ image folders",
                dir.display(),
                mnist::FILES.iter().map(|(s, _)| format!("{s}[.gz]")).collect::<Vec<_>>().join(", "),
                cifar::TRAIN_FILES[0],
                cifar::TEST_FILE
            ),
        })
    }
}
