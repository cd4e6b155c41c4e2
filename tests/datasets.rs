//! GPU-free: the data set readers beyond MNIST. IDX files of any image size, channel count and
//! number of classes (and no MNIST checksum warning for them); CIFAR-10 binary batches (planes
//! to NHWC, truncated, wrong labels, missing files); image folders (classes, labels, resizing,
//! corrupt images, unknown test classes). Every error names the file and what is wrong.

mod common;

use common::{gzip, idx_bytes};
use std::path::{Path, PathBuf};
use wgpu_qat::data::dataset::Format;
use wgpu_qat::data::{cifar, folder, mnist};

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qat-datasets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes IDX files under MNIST's names: `n` train and `m` test images of `shape`, labels
/// i % classes.
fn write_idx_set(dir: &Path, shape: &[u32], n: u32, m: u32, classes: u8) {
    let px: u32 = shape.iter().product();
    for (stem_i, stem_l, count) in [(0, 1, n), (2, 3, m)] {
        let mut dims = vec![count];
        dims.extend_from_slice(shape);
        let images: Vec<u8> = (0..count * px).map(|i| (i * 7 % 251) as u8).collect();
        let labels: Vec<u8> = (0..count).map(|i| (i % classes as u32) as u8).collect();
        std::fs::write(dir.join(format!("{}.gz", mnist::FILES[stem_i].0)), gzip(&idx_bytes(&dims, &images))).unwrap();
        std::fs::write(dir.join(mnist::FILES[stem_l].0), idx_bytes(&[count], &labels)).unwrap();
    }
}

#[test]
fn idx_files_of_any_size_channels_and_classes_load_without_an_mnist_warning() {
    let dir = tmp_dir("idx-any");
    write_idx_set(&dir, &[12, 10, 3], 40, 9, 17);
    let d = mnist::load(&dir).unwrap();
    assert_eq!((d.shape, d.classes, d.train.count, d.test.count), ([12, 10, 3], 17, 40, 9));
    assert_eq!(d.format, Format::Idx);
    assert!(d.not_genuine.is_empty(), "a data set that is not MNIST is not a damaged MNIST file");
    // 3-dimensional image files are one channel.
    let dir = tmp_dir("idx-grey");
    write_idx_set(&dir, &[5, 6], 8, 4, 3);
    assert_eq!(wgpu_qat::data::open(&dir, [1, 1, 1]).unwrap().shape, [5, 6, 1]);
}

#[test]
fn idx_files_of_mismatched_shapes_or_dimensions_are_refused_by_name() {
    let dir = tmp_dir("idx-mismatch");
    write_idx_set(&dir, &[8, 8], 10, 5, 2);
    let test_images = dir.join(format!("{}.gz", mnist::FILES[2].0));
    std::fs::write(&test_images, gzip(&idx_bytes(&[5, 8, 9], &[0; 360]))).unwrap();
    let e = mnist::load(&dir).unwrap_err().to_string();
    assert!(e.contains("[8, 8, 1]") && e.contains("[8, 9, 1]"), "{e}");
    std::fs::write(&test_images, gzip(&idx_bytes(&[5, 8, 8, 1, 1], &[0; 320]))).unwrap();
    let e = mnist::load(&dir).unwrap_err().to_string();
    assert!(e.contains("t10k-images-idx3-ubyte") && e.contains("dimensions"), "{e}");
}

/// A CIFAR-10 record: label, then the red, green and blue planes; pixel (y, x) of channel c is
/// c * 100 + y + x (mod 256) so the NHWC conversion can be checked.
fn cifar_record(label: u8) -> Vec<u8> {
    let mut r = vec![label];
    for c in 0..3u32 {
        for y in 0..32u32 {
            for x in 0..32u32 {
                r.push(((c * 100 + y + x) % 256) as u8);
            }
        }
    }
    r
}

fn write_cifar(dir: &Path, train: usize, test: usize) {
    let batch = |n: usize| (0..n).flat_map(|i| cifar_record((i % 10) as u8)).collect::<Vec<u8>>();
    std::fs::write(dir.join("data_batch_1.bin"), batch(train)).unwrap();
    std::fs::write(dir.join("test_batch.bin"), batch(test)).unwrap();
}

#[test]
fn cifar_batches_become_nhwc_images_with_their_labels() {
    let root = tmp_dir("cifar");
    let dir = root.join(cifar::SUBDIR);
    std::fs::create_dir_all(&dir).unwrap();
    write_cifar(&dir, 12, 5);
    std::fs::write(dir.join("data_batch_2.bin"), cifar_record(9)).unwrap();
    // The archive's folder is found from its parent; both training batches are read in order.
    let d = wgpu_qat::data::open(&root, [32, 32, 3]).unwrap();
    assert_eq!((d.format, d.shape, d.classes, d.train.count, d.test.count), (Format::Cifar10, [32, 32, 3], 10, 13, 5));
    assert_eq!(d.train.labels[..3], [0, 1, 2]);
    assert_eq!(d.train.labels[12], 9);
    let pixel = |img: usize, y: usize, x: usize, c: usize| d.train.images[img * 3072 + (y * 32 + x) * 3 + c];
    assert_eq!((pixel(0, 0, 0, 0), pixel(0, 0, 0, 1), pixel(0, 0, 0, 2)), (0, 100, 200));
    assert_eq!(pixel(3, 5, 7, 2), 212);
    assert_eq!(d.class_names[3], "cat");
}

#[test]
fn truncated_or_foreign_cifar_batches_are_refused_by_name() {
    let dir = tmp_dir("cifar-bad");
    write_cifar(&dir, 4, 2);
    let test = dir.join("test_batch.bin");
    let bytes = std::fs::read(&test).unwrap();
    std::fs::write(&test, &bytes[..bytes.len() - 100]).unwrap();
    let e = cifar::load(&dir).unwrap_err().to_string();
    assert!(e.contains("test_batch.bin") && e.contains("truncated"), "{e}");
    // A CIFAR-100 label (or garbage) is not a CIFAR-10 class.
    let mut bad = cifar_record(3);
    bad.extend(cifar_record(42));
    std::fs::write(&test, bad).unwrap();
    let e = cifar::load(&dir).unwrap_err().to_string();
    assert!(e.contains("test_batch.bin") && e.contains("record 1") && e.contains("label 42"), "{e}");
    std::fs::remove_file(&test).unwrap();
    let e = cifar::load(&dir).unwrap_err().to_string();
    assert!(e.contains("test_batch.bin"), "{e}");
    std::fs::write(&test, []).unwrap();
    assert!(cifar::locate(&dir).is_some());
    let e = cifar::load(&dir).unwrap_err().to_string();
    assert!(e.contains("test_batch.bin") && e.contains("0 bytes"), "{e}");
}

/// Writes a w x h RGB PNG filled with `rgb`.
fn png(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_pixel(w, h, image::Rgb(rgb)).save(path).unwrap();
}

#[test]
fn image_folders_give_sorted_classes_labels_and_fitted_images() {
    let dir = tmp_dir("folder");
    png(&dir.join("train/zebra/1.png"), 8, 8, [10, 20, 30]);
    png(&dir.join("train/apple/a.png"), 16, 16, [200, 100, 0]);
    png(&dir.join("train/apple/b.PNG"), 4, 4, [200, 100, 0]);
    std::fs::write(dir.join("train/apple/notes.txt"), "not an image").unwrap();
    png(&dir.join("test/zebra/x.png"), 8, 8, [10, 20, 30]);
    assert!(folder::is_image_folder(&dir));
    let d = wgpu_qat::data::open(&dir, [8, 8, 3]).unwrap();
    assert_eq!(
        (d.format, d.classes, d.class_names.clone()),
        (Format::ImageFolder, 2, vec!["apple".into(), "zebra".into()])
    );
    assert_eq!((d.train.count, d.test.count), (3, 1));
    // The classes in turn: apple's first file, zebra's first, apple's second.
    assert_eq!(d.train.labels, vec![0, 1, 0]);
    assert_eq!(d.test.labels, vec![1]);
    // Every image is fitted to the model's input (a flat colour stays that colour).
    assert_eq!(d.train.images.len(), 3 * 8 * 8 * 3);
    assert_eq!(d.train.images[..3], [200, 100, 0]);
    assert_eq!(d.train.images[8 * 8 * 3..8 * 8 * 3 + 3], [10, 20, 30]);
    assert_eq!(d.test.images[8 * 8 * 3 - 3..], [10, 20, 30]);
    // One grey channel for a grey model.
    let grey = folder::load(&dir, [4, 4, 1]).unwrap();
    assert_eq!(grey.train.images.len(), 3 * 16);
}

#[test]
fn bad_image_folders_are_refused_naming_the_file_or_folder() {
    let dir = tmp_dir("folder-bad");
    png(&dir.join("train/a/1.png"), 4, 4, [1, 2, 3]);
    png(&dir.join("train/b/1.png"), 4, 4, [1, 2, 3]);
    png(&dir.join("test/c/1.png"), 4, 4, [1, 2, 3]);
    let e = folder::load(&dir, [4, 4, 3]).unwrap_err().to_string();
    assert!(e.contains("\"c\"") && e.contains("training classes"), "{e}");
    std::fs::remove_dir_all(dir.join("test/c")).unwrap();
    png(&dir.join("test/a/1.png"), 4, 4, [1, 2, 3]);
    // A truncated PNG.
    let bytes = std::fs::read(dir.join("train/b/1.png")).unwrap();
    std::fs::write(dir.join("train/b/2.png"), &bytes[..bytes.len() / 2]).unwrap();
    let e = folder::load(&dir, [4, 4, 3]).unwrap_err().to_string();
    assert!(e.contains("2.png") && e.contains("not a PNG or JPEG"), "{e}");
    std::fs::remove_file(dir.join("train/b/2.png")).unwrap();
    // No images in the test classes.
    std::fs::remove_file(dir.join("test/a/1.png")).unwrap();
    let e = folder::load(&dir, [4, 4, 3]).unwrap_err().to_string();
    assert!(e.contains("test") && e.contains("no .png"), "{e}");
    // One class is not a classification problem.
    std::fs::remove_dir_all(dir.join("train/b")).unwrap();
    let e = folder::load(&dir, [4, 4, 3]).unwrap_err().to_string();
    assert!(e.contains("1 class folders"), "{e}");
}

#[test]
fn an_image_folder_reads_the_same_samples_as_idx_files_of_the_same_images() {
    // 30 grey 9x7 images in 3 classes (image i of class i % 3), written both ways in one order,
    // so training on either sees the same bytes, labels and order: the folder takes the classes
    // in turn, which for these files is the order of i.
    let (h, w, n) = (9u32, 7u32, 30usize);
    let image = |i: usize| -> Vec<u8> { (0..h * w).map(|p| ((p as usize * 13 + i * 29) % 256) as u8).collect() };
    let label = |i: usize| (i % 3) as u8;
    let order: Vec<usize> = (0..n).collect();
    let (root, idx) = (tmp_dir("folder-vs-idx"), tmp_dir("idx-vs-folder"));
    for split in ["train", "test"] {
        for &i in &order {
            let p = root.join(format!("{split}/class{}/{i:03}.png", label(i)));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            image::GrayImage::from_raw(w, h, image(i)).unwrap().save(&p).unwrap();
        }
    }
    let images: Vec<u8> = order.iter().flat_map(|&i| image(i)).collect();
    let labels: Vec<u8> = order.iter().map(|&i| label(i)).collect();
    for (img, lab) in [(0, 1), (2, 3)] {
        std::fs::write(idx.join(mnist::FILES[img].0), idx_bytes(&[n as u32, h, w], &images)).unwrap();
        std::fs::write(idx.join(mnist::FILES[lab].0), idx_bytes(&[n as u32], &labels)).unwrap();
    }
    let a = wgpu_qat::data::open(&root, [h, w, 1]).unwrap();
    let b = wgpu_qat::data::open(&idx, [h, w, 1]).unwrap();
    assert_eq!((a.shape, a.classes), (b.shape, b.classes));
    for (x, y) in [(&a.train, &b.train), (&a.test, &b.test)] {
        assert_eq!(x.labels, y.labels);
        assert!(x.images == y.images, "the PNG folder and the IDX files give different pixels");
    }
}

/// A CIFAR-10-like archive: the batches under `cifar-10-batches-bin/`, plus a file elsewhere
/// that unpacking must ignore.
fn cifar_archive(path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    let batch: Vec<u8> = (0..3).flat_map(|i| cifar_record(i as u8)).collect();
    for (name, bytes) in [
        ("cifar-10-batches-bin/data_batch_1.bin", &batch[..]),
        ("cifar-10-batches-bin/test_batch.bin", &batch[..]),
        ("cifar-10-batches-bin/batches.meta.txt", b"airplane\n"),
        ("elsewhere/data_batch_2.bin", &batch[..]),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, bytes).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

#[test]
fn cifar_downloads_once_into_the_cache_verified_and_unpacked() {
    let dir = tmp_dir("cifar-download");
    let archive = dir.join("cifar-10-binary.tar.gz");
    cifar_archive(&archive);
    let url = format!("file://{}", archive.display());
    let md5 = cifar::md5_file(&archive).unwrap();
    let cache = dir.join("cache");
    // Offline: nothing is fetched.
    let e = cifar::ensure(&cache, &url, &md5, true).unwrap_err().to_string();
    assert!(e.contains("--offline"), "{e}");
    // A download whose checksum is not the published one is not kept.
    let e = cifar::ensure(&cache, &url, "0123456789abcdef0123456789abcdef", false).unwrap_err().to_string();
    assert!(e.contains("MD5") && e.contains("not kept"), "{e}");
    assert!(cifar::locate(&cache).is_none() && !cache.join("cifar-10-binary.tar.gz.part").exists());
    // The right one is unpacked (only the batch folder's files) and read.
    if std::process::Command::new("curl").arg("--version").output().is_err() {
        eprintln!("SKIP: no curl to fetch a file:// URL");
        return;
    }
    let found = cifar::ensure(&cache, &url, &md5, false).unwrap();
    assert_eq!(found, cache.join(cifar::SUBDIR));
    assert!(!found.join("data_batch_2.bin").exists(), "a file outside the batch folder was unpacked");
    assert_eq!(cifar::load(&cache).unwrap().train.count, 3);
    // Once there, the cache is used as it is, offline too.
    assert_eq!(cifar::ensure(&cache, "file:///nonexistent", &md5, true).unwrap(), found);
}
