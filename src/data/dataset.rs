//! A data set as training sees it, whatever file format it came from: u8 images (NHWC) and
//! labels for a training and a test split, the image shape, the number of classes, and how
//! pixels become the model's float input (`InputNorm`, stored in the model file).

use crate::model::spec::ModelSpec;
use crate::{QatError, Result};
use qat_int8::model::InputNorm;
use std::path::PathBuf;

/// Images as u8 NHWC, labels as u8.
#[derive(Debug, Clone)]
pub struct Split {
    /// Images, `count` x h x w x c bytes.
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

/// Which reader produced a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Four IDX files with MNIST's names (MNIST itself, Fashion-MNIST, or any size and classes).
    Idx,
    /// CIFAR-10's binary batches.
    Cifar10,
    /// `train/<class>/*` and `test/<class>/*` image files.
    ImageFolder,
}

#[derive(Debug, Clone)]
/// A data set: the training and test splits and what they hold.
pub struct Dataset {
    /// Where it was read from.
    pub dir: PathBuf,
    /// Which reader read it.
    pub format: Format,
    /// The training samples (validation is split off later).
    pub train: Split,
    /// The test samples.
    pub test: Split,
    /// Image shape [h, w, c].
    pub shape: [u32; 3],
    /// Labels are below this.
    pub classes: usize,
    /// Class names where the format has them (image folders), in label order.
    pub class_names: Vec<String>,
    /// Pixel p of channel c is fed as (p / 255 - mean\[c\]) / std\[c\].
    pub norm: InputNorm,
    /// Files that look like MNIST's but whose checksum is not the published one (read anyway).
    pub not_genuine: Vec<PathBuf>,
    /// Every file the samples were read from (so no output can replace one).
    pub files: Vec<PathBuf>,
    /// The files the training and test labels came from, where the format has label files.
    pub label_files: [Option<PathBuf>; 2],
}

impl Dataset {
    /// Bytes per image.
    pub fn pixels(&self) -> usize {
        self.shape.iter().map(|&d| d as usize).product()
    }

    /// Checks that `spec` can train on this data: the same input shape, and enough logits
    /// for every label.
    pub fn check_fits(&self, spec: &ModelSpec) -> Result<()> {
        if spec.input != self.shape {
            return Err(QatError::Invalid(format!(
                "model {} takes {:?} inputs but the data in {} is {:?} (h, w, c)",
                spec.name,
                spec.input,
                self.dir.display(),
                self.shape
            )));
        }
        self.check_classes(spec.classes()? as usize, &format!("model {}", spec.name), false)
    }

    /// Checks that a model with `outputs` classes (named `model`) and this data agree: every
    /// label is one of its classes (an error names the label's file and index), and, with
    /// `exact` (a trained model: eval, verify, calibrate, train --init), the data has exactly
    /// that many classes.
    pub fn check_classes(&self, outputs: usize, model: &str, exact: bool) -> Result<()> {
        for (s, split) in [&self.train, &self.test].into_iter().enumerate() {
            if let Some(i) = split.labels.iter().position(|&l| l as usize >= outputs) {
                let file = self.label_files[s].clone().unwrap_or_else(|| self.dir.clone());
                let which = ["training", "test"][s];
                return Err(QatError::BadData {
                    path: file,
                    detail: format!(
                        "{which} label {} at index {i} is not one of the {outputs} classes of {model} (0..{})",
                        split.labels[i],
                        outputs - 1
                    ),
                });
            }
        }
        if exact && self.classes != outputs {
            return Err(QatError::Invalid(format!(
                "{model} has {outputs} output classes but the data in {} has {}; give data with the classes it was trained on",
                self.dir.display(),
                self.classes
            )));
        }
        Ok(())
    }

    /// Per-channel mean and standard deviation of the training images' p / 255, for
    /// `--normalize`: the statistics every image is fed through.
    pub fn channel_statistics(&self) -> InputNorm {
        let c = self.shape[2].max(1) as usize;
        let mut sum = vec![0f64; c];
        let mut sq = vec![0f64; c];
        for (i, &p) in self.train.images.iter().enumerate() {
            let v = p as f64 / 255.0;
            sum[i % c] += v;
            sq[i % c] += v * v;
        }
        let n = (self.train.images.len() / c).max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let std = sq.iter().zip(&mean).map(|(q, m)| ((q / n - m * m).max(0.0)).sqrt().max(1e-3) as f32).collect();
        InputNorm { mean: mean.iter().map(|&m| m as f32).collect(), std }
    }
}

/// The number of classes of a split pair: one more than the largest label.
pub fn classes_of(train: &Split, test: &Split) -> usize {
    train.labels.iter().chain(&test.labels).copied().max().map_or(0, |m| m as usize + 1)
}
