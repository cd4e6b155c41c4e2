//! GPU-free: the IDX reader on good, truncated and malformed files (raw and gzip), the
//! download cache's checksum logic on local files, discovery errors, and (when present) the
//! genuine MNIST files.

mod common;

use common::{gzip, idx_bytes};
use std::io::Write;
use std::path::PathBuf;
use wgpu_qat::data::download::accept_verified;
use wgpu_qat::data::idx::{parse_idx, read_idx};
use wgpu_qat::data::mnist::{self, hex, sha256_file};
use wgpu_qat::QatError;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qat-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn parses_good_idx() {
    let a = parse_idx(&idx_bytes(&[2, 2, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])).unwrap();
    assert_eq!(a.dims, vec![2, 2, 3]);
    assert_eq!(a.data.len(), 12);
}

#[test]
fn rejects_malformed_idx_with_reasons() {
    assert!(parse_idx(&[0, 0]).unwrap_err().contains("too short"));
    assert!(parse_idx(&[1, 2, 8, 1, 0, 0, 0, 1, 5]).unwrap_err().contains("magic"));
    assert!(parse_idx(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 5]).unwrap_err().contains("not unsigned byte"));
    let e = parse_idx(&idx_bytes(&[10, 28, 28], &[0; 100])).unwrap_err();
    assert!(e.contains("truncated") && e.contains("7840"), "{e}");
    assert!(parse_idx(&idx_bytes(&[2], &[1, 2, 3])).unwrap_err().contains("trailing"));
    assert!(parse_idx(&[0, 0, 8, 3, 0, 0]).unwrap_err().contains("truncated header"));
}

#[test]
fn truncated_files_name_the_file() {
    let dir = tmp_dir("trunc");
    let full = idx_bytes(&[100, 28, 28], &vec![7; 78400]);
    let raw = dir.join("raw-idx3-ubyte");
    std::fs::write(&raw, &full[..5000]).unwrap();
    let e = read_idx(&raw).unwrap_err().to_string();
    assert!(e.contains("raw-idx3-ubyte") && e.contains("truncated"), "{e}");
    let gz = dir.join("gz-idx3-ubyte.gz");
    let z = gzip(&full);
    std::fs::write(&gz, &z[..z.len() / 2]).unwrap();
    let e = read_idx(&gz).unwrap_err().to_string();
    assert!(e.contains("gz-idx3-ubyte.gz") && e.contains("gzip"), "{e}");
    // The complete gzip file reads back.
    std::fs::write(&gz, &z).unwrap();
    assert_eq!(read_idx(&gz).unwrap().data.len(), 78400);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_data_lists_every_file_looked_for() {
    let dir = tmp_dir("empty");
    let e = mnist::locate(Some(&dir)).unwrap_err();
    let QatError::DataMissing { looked_for } = &e else { panic!("{e}") };
    for (stem, _) in mnist::FILES {
        assert!(looked_for.contains(stem), "{looked_for}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cache_keeps_only_verified_downloads() {
    let dir = tmp_dir("cache");
    let tmp = dir.join("file.part");
    let dest = dir.join("file.gz");
    std::fs::write(&tmp, b"hello").unwrap();
    let good = sha256_file(&tmp).unwrap();
    assert_eq!(good, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    accept_verified(&tmp, &dest, &good).unwrap();
    assert!(dest.is_file() && !tmp.exists());
    std::fs::write(&tmp, b"tampered").unwrap();
    let e = accept_verified(&tmp, &dir.join("other.gz"), &good).unwrap_err().to_string();
    assert!(e.contains("sha256") && e.contains("not kept"), "{e}");
    assert!(!tmp.exists() && !dir.join("other.gz").exists());
    assert_eq!(hex(&[0, 15, 255]), "000fff");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_non_genuine_file_is_flagged() {
    let dir = tmp_dir("genuine");
    let p = dir.join("t10k-labels-idx1-ubyte.gz");
    std::fs::write(&p, gzip(&idx_bytes(&[3], &[1, 2, 3]))).unwrap();
    assert_eq!(mnist::is_genuine(&p, "t10k-labels-idx1-ubyte").unwrap(), Some(false));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn genuine_mnist_has_the_published_shape_and_counts() {
    let Some(data) = common::mnist() else { return };
    assert!(data.not_genuine.is_empty(), "{:?}", data.not_genuine);
    assert_eq!((data.train.count, data.test.count, data.shape, data.classes), (60000, 10000, [28, 28, 1], 10));
    let mut counts = [0usize; 10];
    for &l in &data.train.labels {
        counts[l as usize] += 1;
    }
    assert_eq!(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
}

#[test]
fn a_gzip_bomb_is_refused_after_the_bytes_its_header_announces() {
    let dir = tmp_dir("bomb");
    // 10 images of 28x28 announced, then 64 MiB of zeros: 64 KiB compressed.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&idx_bytes(&[10, 28, 28], &[])).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = dir.join("train-images-idx3-ubyte.gz");
    std::fs::write(&bomb, enc.finish().unwrap()).unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    let e = read_idx(&bomb).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte.gz") && e.contains("more data than dimensions [10, 28, 28]"), "{e}");
    // A header that announces more than we ever read is refused from the header alone.
    let huge = dir.join("huge-idx3-ubyte");
    std::fs::write(&huge, idx_bytes(&[0xffff_ffff, 0xffff_ffff, 2], &[1, 2, 3])).unwrap();
    let e = read_idx(&huge).unwrap_err().to_string();
    assert!(e.contains("huge-idx3-ubyte") && e.contains("more than the"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_split_is_an_error_naming_the_file() {
    let dir = tmp_dir("empty-split");
    let images = |n: u32| gzip(&idx_bytes(&[n, 28, 28], &vec![0; n as usize * 784]));
    let labels = |n: u32| gzip(&idx_bytes(&[n], &vec![1; n as usize]));
    std::fs::write(dir.join("train-images-idx3-ubyte.gz"), images(20)).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte.gz"), labels(20)).unwrap();
    std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), images(0)).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), labels(0)).unwrap();
    let e = mnist::load(&dir).unwrap_err().to_string();
    assert!(e.contains("t10k-images-idx3-ubyte.gz") && e.contains("no images"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
