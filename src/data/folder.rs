//! An image folder: `train/<class>/*` and `test/<class>/*` PNG or JPEG files. Classes are the
//! training sub-folders in name order (label k is the k-th); a test folder must be one of them.
//! Samples are listed with the classes in turn (`list_split`), files in name order within each.
//! Class folder names are UTF-8 (they become the model's class names); an empty class folder is
//! an error, and an entry with an image's name that is not a regular file (a fifo, a device, a
//! link to one) is skipped with a warning naming it.
//! Every image is decoded and fitted to the model's input (`data::image`), on all cores.

use crate::data::dataset::{Dataset, Format, Split};
use crate::data::image::{self, Fit};
use crate::{QatError, Result};
use qat_int8::model::InputNorm;
use std::path::{Path, PathBuf};

/// Whether `dir` looks like an image folder (has `train/` and `test/` sub-folders).
pub fn is_image_folder(dir: &Path) -> bool {
    dir.join("train").is_dir() && dir.join("test").is_dir()
}

/// Sorted entries of `dir` that pass `keep`; an unreadable folder is an error naming it.
fn sorted_entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| QatError::io(dir, e))? {
        let p = e.map_err(|e| QatError::io(dir, e))?.path();
        if keep(&p) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// The name of a class folder, which must be UTF-8.
fn class_name(class_dir: &Path) -> Result<String> {
    class_dir.file_name().and_then(|n| n.to_str()).map(str::to_string).ok_or_else(|| QatError::BadData {
        path: class_dir.into(),
        detail: "a class folder's name must be UTF-8 text (it becomes the class name); rename it".into(),
    })
}

/// The images of one class folder, in name order: regular files with an image's extension
/// (anything else with such a name is skipped, with a warning). None of them is an error.
fn class_images(class_dir: &Path) -> Result<Vec<PathBuf>> {
    let named = sorted_entries(class_dir, image::is_image)?;
    let mut files = Vec::with_capacity(named.len());
    for p in named {
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() => files.push(p),
            Ok(m) if m.is_dir() => {}
            _ => log::warn!("{}: skipped, not a regular file (a fifo, device, socket or broken link)", p.display()),
        }
    }
    if files.is_empty() {
        return Err(QatError::BadData {
            path: class_dir.into(),
            detail: format!(
                "an empty class folder: no .{} images; add images or remove the folder",
                image::EXTENSIONS.join(", .")
            ),
        });
    }
    Ok(files)
}

/// The (file, label) pairs of one split folder, given the class names: the classes taken in
/// turn (the first file of each class, then the second of each, ...), so that any tail of the
/// list, such as the validation split, holds every class in its share.
fn list_split(root: &Path, classes: &[String]) -> Result<Vec<(PathBuf, u8)>> {
    let mut per_class = Vec::new();
    for class_dir in sorted_entries(root, |p| p.is_dir())? {
        let name = class_name(&class_dir)?;
        let label = classes.iter().position(|c| *c == name).ok_or_else(|| QatError::BadData {
            path: class_dir.clone(),
            detail: format!("class folder {name:?} is not one of the training classes {classes:?}"),
        })?;
        per_class.push((label as u8, class_images(&class_dir)?));
    }
    let longest = per_class.iter().map(|(_, f)| f.len()).max().unwrap_or(0);
    let files: Vec<(PathBuf, u8)> = (0..longest)
        .flat_map(|j| per_class.iter().filter_map(move |(label, f)| f.get(j).map(|p| (p.clone(), *label))))
        .collect();
    if files.is_empty() {
        return Err(QatError::BadData {
            path: root.into(),
            detail: format!("no .png/.jpg/.jpeg images in its class folders ({})", classes.join(", ")),
        });
    }
    Ok(files)
}

/// Decodes `files` fitted to `shape`, on every core, keeping their order.
fn decode(files: &[(PathBuf, u8)], shape: [u32; 3]) -> Result<Split> {
    let pixels = shape.iter().map(|&d| d as usize).product::<usize>();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len()).max(1);
    let chunk = files.len().div_ceil(threads);
    let parts: Vec<Result<Vec<u8>>> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut bytes = Vec::with_capacity(part.len() * pixels);
                    for (path, _) in part {
                        bytes.extend(image::load(path, shape, Fit::default())?);
                    }
                    Ok(bytes)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(QatError::Invalid("an image decoder thread panicked".into()))))
            .collect()
    });
    let mut images = Vec::with_capacity(files.len() * pixels);
    for p in parts {
        images.extend(p?);
    }
    Ok(Split { images, labels: files.iter().map(|(_, l)| *l).collect(), count: files.len() })
}

/// Reads the image folder `dir`, fitting every image to `shape` [h, w, c] (c = 1 grey, 3 RGB).
pub fn load(dir: &Path, shape: [u32; 3]) -> Result<Dataset> {
    let train_root = dir.join("train");
    let classes: Vec<String> =
        sorted_entries(&train_root, |p| p.is_dir())?.iter().map(|p| class_name(p)).collect::<Result<_>>()?;
    if classes.len() < 2 || classes.len() > 256 {
        return Err(QatError::BadData {
            path: train_root,
            detail: format!("{} class folders; an image folder needs 2 to 256 (train/<class>/...)", classes.len()),
        });
    }
    let train_files = list_split(&train_root, &classes)?;
    let test_files = list_split(&dir.join("test"), &classes)?;
    let train = decode(&train_files, shape)?;
    let test = decode(&test_files, shape)?;
    let files = train_files.into_iter().chain(test_files).map(|(p, _)| p).collect();
    Ok(Dataset {
        dir: dir.into(),
        format: Format::ImageFolder,
        train,
        test,
        shape,
        classes: classes.len(),
        class_names: classes,
        norm: InputNorm::unit(shape[2]),
        not_genuine: Vec::new(),
        label_files: [None, None],
        files,
    })
}
