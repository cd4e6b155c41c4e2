//! The `qat` binary against the inputs of a hostile or careless user, case by case: an output
//! that is one of the command's inputs (the same path, a symlink, a hard link, a data file), a
//! small model file that asks for minutes of work, images that are devices, fifos, sparse,
//! huge or cut short, data whose classes are not the model's, and a reader that closes stdout
//! early. Every refusal exits 1 with an "error:" line naming the file and what is wrong, before
//! any work, and every input file is byte-identical afterwards. GPU-free.

mod common;

use qat_int8::format::write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use wgpu_qat::model::{file, float_weights, spec::ModelSpec};
use wgpu_qat::quantize::quantize;

use common::cli::{fails_with, qat, s};

fn tmp_dir(name: &str) -> PathBuf {
    common::cli::tmp_dir("inputs", name)
}

/// A valid 10-class mnist-cnn model file (random weights).
fn a_model(dir: &Path) -> PathBuf {
    let path = dir.join("m.qat");
    write(&quantize(&common::cnn_state(3)).unwrap(), &path).unwrap();
    path
}

/// The bytes of every file in `dir`, by name (links as their targets' bytes).
fn snapshot(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut v: Vec<(String, Option<Vec<u8>>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let regular = std::fs::metadata(&p).is_ok_and(|m| m.is_file());
            (p.file_name().unwrap().to_string_lossy().into_owned(), regular.then(|| std::fs::read(&p).unwrap()))
        })
        .collect();
    v.sort();
    v
}

/// MNIST-format IDX files of `count` training and test images of 28 x 28, labels below 10,
/// except test label `bad_at` which is `bad`.
fn idx_data(dir: &Path, count: u32, bad: Option<(usize, u8)>) {
    std::fs::create_dir_all(dir).unwrap();
    let images = common::idx_bytes(&[count, 28, 28], &vec![9u8; count as usize * 784]);
    let mut labels: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
    std::fs::write(dir.join("train-images-idx3-ubyte"), &images).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte"), common::idx_bytes(&[count], &labels)).unwrap();
    if let Some((i, v)) = bad {
        labels[i] = v;
    }
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), &images).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), common::idx_bytes(&[count], &labels)).unwrap();
}

fn write_png(path: &Path, side: u32) {
    image::GrayImage::from_fn(side, side, |x, y| image::Luma([(x * 7 + y * 3) as u8])).save(path).unwrap();
}

#[test]
fn an_output_that_is_an_input_is_refused_naming_both() {
    let dir = tmp_dir("same");
    let m = a_model(&dir);
    let spec = dir.join("spec.toml");
    std::fs::write(&spec, file::to_toml(&ModelSpec::mnist_cnn())).unwrap();
    let params = wgpu_qat::train::network::initial_params(&ModelSpec::mnist_cnn(), 1).unwrap();
    let weights = dir.join("w.safetensors");
    std::fs::write(&weights, float_weights::to_bytes(&ModelSpec::mnist_cnn(), &params).unwrap()).unwrap();
    std::fs::copy(&weights, dir.join("w.bak")).unwrap();
    std::os::unix::fs::symlink("m.qat", dir.join("link.tflite")).unwrap();
    std::fs::hard_link(&m, dir.join("hard.qat")).unwrap();
    let data = dir.join("data");
    idx_data(&data, 20, None);
    let before = (snapshot(&dir), snapshot(&data));
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let same = "same file as";
    fails_with(
        &["export", "--model", s(&m), "--format", "tflite", "--out", s(&m)],
        &["--out", same, "--model", "m.qat"],
    );
    fails_with(&["export", "--model", s(&m), "--out", &p("link.tflite")], &["link.tflite", same, "--model"]);
    fails_with(
        &["export", "--model", &p("hard.qat"), "--format", "onnx", "--out", s(&m)],
        &["m.qat", same, "hard.qat"],
    );
    fails_with(
        &["train", "--model", s(&spec), "--out", s(&spec), "--data", s(&data)],
        &["spec.toml", "--out", same, "--model"],
    );
    fails_with(
        &["calibrate", "--init", s(&weights), "--model", "mnist-cnn", "--out", s(&weights), "--data", s(&data)],
        &["w.safetensors", same, "--init"],
    );
    fails_with(&["train", "--init", &p("w.bak"), "--out", &p("w.bak"), "--data", s(&data)], &["w.bak", same, "--init"]);
    fails_with(
        &["train", "--init", s(&weights), "--save-float", s(&weights), "--data", s(&data), "--out", &p("new.qat")],
        &["--save-float", same, "--init"],
    );
    fails_with(&["eval", "--model", s(&m), "--logits", s(&m), "--data", s(&data)], &["--logits", same, "--model"]);
    // A data file, named through the data folder.
    let labels = data.join("train-labels-idx1-ubyte");
    fails_with(
        &["eval", "--model", s(&m), "--data", s(&data), "--logits", s(&labels)],
        &["--logits", same, "the data set"],
    );
    fails_with(
        &["train", "--data", s(&data), "--out", s(&data.join("t10k-images-idx3-ubyte"))],
        &["--out", same, "the data set"],
    );
    // The import's two outputs against its input.
    let onnx = dir.join("model.onnx");
    std::fs::write(&onnx, b"not read: refused before").unwrap();
    std::fs::hard_link(&onnx, dir.join("model.toml")).unwrap();
    fails_with(&["import", s(&onnx)], &["model.toml", same, "the ONNX model"]);
    // Every input is as it was; nothing new but the link just made and the onnx stand-in.
    let (files, data_files) = (snapshot(&dir), snapshot(&data));
    assert_eq!(data_files, before.1);
    for (name, bytes) in &before.0 {
        assert!(files.contains(&(name.clone(), bytes.clone())), "{name} changed");
    }
    assert_eq!(files.len(), before.0.len() + 2, "{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The reported 5 KB file: a 64-way concat of a 28x28x64 input to 28x28x4096, then a 64x64
/// "same" average pool, a mean and the logits, written byte by byte per docs/FORMAT.md.
fn concat_and_pool_model(dir: &Path) -> PathBuf {
    let mut p: Vec<u8> = vec![1, 0, 0, 0];
    let u32s = |p: &mut Vec<u8>, v: &[u32]| v.iter().for_each(|x| p.extend_from_slice(&x.to_le_bytes()));
    u32s(&mut p, &[28, 28, 64]);
    p.extend_from_slice(&(1.0f32 / 255.0).to_le_bytes());
    p.extend_from_slice(&(-128i32).to_le_bytes());
    for _ in 0..64 {
        p.extend_from_slice(&0f32.to_le_bytes());
        p.extend_from_slice(&1f32.to_le_bytes());
    }
    u32s(&mut p, &[4]);
    let node = |p: &mut Vec<u8>, tag: u8, b1: u8, inputs: &[u32], name: &str| {
        p.extend_from_slice(&[tag, b1, 0, inputs.len() as u8]);
        inputs.iter().for_each(|t| p.extend_from_slice(&t.to_le_bytes()));
        p.extend_from_slice(&(name.len() as u16).to_le_bytes());
        p.extend_from_slice(name.as_bytes());
    };
    node(&mut p, 9, 0, &[0; 64], "cat");
    node(&mut p, 6, 1, &[1], "pool");
    u32s(&mut p, &[64, 1]);
    node(&mut p, 7, 0, &[2], "mean");
    p.extend_from_slice(&(1.0f32 / 255.0).to_le_bytes());
    p.extend_from_slice(&(-128i32).to_le_bytes());
    node(&mut p, 4, 0, &[3], "logits");
    u32s(&mut p, &[1, 4096]);
    p.extend_from_slice(&0.01f32.to_le_bytes());
    p.extend_from_slice(&0.1f32.to_le_bytes());
    p.extend_from_slice(&0i32.to_le_bytes());
    p.extend_from_slice(&(-128i32).to_le_bytes());
    p.extend_from_slice(&127i32.to_le_bytes());
    p.extend_from_slice(&0i32.to_le_bytes());
    p.extend((0..4096).map(|i| (i % 100) as u8));
    let path = dir.join("crafted.qat");
    std::fs::write(&path, common::seal(&p)).unwrap();
    path
}

#[test]
fn a_small_file_that_asks_for_minutes_of_work_is_refused_before_it_runs() {
    let dir = tmp_dir("work");
    let crafted = concat_and_pool_model(&dir);
    assert!(std::fs::metadata(&crafted).unwrap().len() < 9000);
    let data = dir.join("data");
    idx_data(&data, 10, None);
    let needles = ["crafted.qat", "work units", "QAT_MAX_MODEL_WORK"];
    let t = std::time::Instant::now();
    fails_with(&["inspect", "--model", s(&crafted)], &needles);
    fails_with(&["eval", "--model", s(&crafted), "--data", s(&data)], &needles);
    fails_with(&["export", "--model", s(&crafted), "--out", s(&dir.join("c.tflite"))], &needles);
    eprintln!("three refusals in {:.2} s", t.elapsed().as_secs_f64());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn images_that_are_devices_fifos_sparse_huge_or_cut_short_are_refused_by_name() {
    let dir = tmp_dir("images");
    let m = a_model(&dir);
    let m = s(&m);
    let zero = dir.join("zero.png");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    fails_with(&["predict", "--model", m, s(&zero)], &["zero.png", "a device, not a regular file"]);
    let fifo = dir.join("fifo.png");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    fails_with(&["predict", "--model", m, s(&fifo)], &["fifo.png", "a fifo"]);
    let sparse = dir.join("sparse.png");
    std::fs::File::create(&sparse).unwrap().set_len(2 << 30).unwrap();
    fails_with(&["predict", "--model", m, s(&sparse)], &["sparse.png", "2147483648 bytes", "67108864 bytes"]);
    // A PNG that declares 20000 x 20000 pixels: refused from its header, before decoding.
    let huge = dir.join("huge.png");
    std::fs::write(&huge, png_header(20000, 20000)).unwrap();
    fails_with(&["predict", "--model", m, s(&huge)], &["huge.png", "20000 x 20000 pixels", "16384 a side"]);
    // The first half of a JPEG.
    let jpeg = dir.join("photo.jpg");
    image::RgbImage::from_fn(256, 256, |x, y| image::Rgb([(x * y % 251) as u8, (x ^ y) as u8, 77]))
        .save(&jpeg)
        .unwrap();
    let bytes = std::fs::read(&jpeg).unwrap();
    let cut = dir.join("cut.jpg");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    fails_with(&["predict", "--model", m, s(&cut)], &["cut.jpg", "truncated"]);
    let (code, _, err) = qat(&["predict", "--model", m, s(&jpeg)]);
    assert_eq!(code, 0, "the whole JPEG: {err}");
    // In a folder, a fifo or device with an image's name is skipped, saying so.
    let folder = dir.join("folder");
    std::fs::create_dir_all(&folder).unwrap();
    write_png(&folder.join("a.png"), 28);
    assert!(Command::new("mkfifo").arg(folder.join("b.png")).status().unwrap().success());
    std::os::unix::fs::symlink("/dev/zero", folder.join("c.png")).unwrap();
    let (code, out, err) = qat(&["predict", "--model", m, s(&folder)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(err.contains("b.png: skipped") && err.contains("c.png: skipped"), "{err}");
    // In a training folder, the huge image is named.
    let data = dir.join("data");
    for (split, class) in [("train", "a"), ("train", "b"), ("test", "a")] {
        std::fs::create_dir_all(data.join(split).join(class)).unwrap();
        write_png(&data.join(split).join(class).join("x.png"), 28);
    }
    std::fs::write(data.join("train/b/huge.png"), png_header(20000, 20000)).unwrap();
    fails_with(&["train", "--data", s(&data), "--out", s(&dir.join("t.qat"))], &["huge.png", "20000 x 20000 pixels"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A PNG's signature, IHDR chunk (8-bit grey of `w` x `h`), the first row of its pixels (an
/// IDAT chunk) and IEND: a header that declares a size, with only a sliver of its pixels.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        c.extend_from_slice(&body);
        c.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
        c
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    let row = vec![0u8; 1 + w as usize];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut z, &row).unwrap();
    png.extend(chunk(b"IDAT", &z.finish().unwrap()));
    png.extend(chunk(b"IEND", &[]));
    png
}

#[test]
fn data_whose_classes_are_not_the_models_is_refused_by_file_and_label() {
    let dir = tmp_dir("classes");
    let m = a_model(&dir);
    let m = s(&m);
    // An IDX test label 10 for a 10-class model: the file and the index.
    let idx = dir.join("idx");
    idx_data(&idx, 30, Some((17, 10)));
    fails_with(
        &["eval", "--model", m, "--data", s(&idx)],
        &["t10k-labels-idx1-ubyte", "label 10 at index 17", "10 classes"],
    );
    // An image folder of 3 classes for a 10-class model.
    let three = dir.join("three");
    for split in ["train", "test"] {
        for class in ["cat", "dog", "owl"] {
            std::fs::create_dir_all(three.join(split).join(class)).unwrap();
            write_png(&three.join(split).join(class).join("x.png"), 28);
        }
    }
    fails_with(&["eval", "--model", m, "--data", s(&three)], &["m.qat", "10 output classes", "has 3"]);
    // An empty class folder, and one whose name is not UTF-8.
    std::fs::create_dir_all(three.join("train/emu")).unwrap();
    fails_with(&["eval", "--model", m, "--data", s(&three)], &["train/emu", "empty class folder"]);
    std::fs::remove_dir_all(three.join("train/emu")).unwrap();
    use std::os::unix::ffi::OsStrExt;
    let odd = three.join("train").join(std::ffi::OsStr::from_bytes(b"ca\xfft"));
    std::fs::create_dir_all(&odd).unwrap();
    write_png(&odd.join("x.png"), 28);
    fails_with(&["eval", "--model", m, "--data", s(&three)], &["UTF-8"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tmp_dir("pipe");
    let m = a_model(&dir);
    let folder = dir.join("images");
    std::fs::create_dir_all(&folder).unwrap();
    for k in 0..50 {
        write_png(&folder.join(format!("{k:02}.png")), 28);
    }
    // The reader is gone before the first line is printed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_qat"))
        .args(["predict", "--model", s(&m), s(&folder), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "stderr: {stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn messages_quote_limits_as_enforced() {
    let dir = tmp_dir("messages");
    let m = a_model(&dir);
    // A CIFAR-10 batch over the size read: the limit quoted is the one enforced.
    let cifar = dir.join("cifar");
    std::fs::create_dir_all(&cifar).unwrap();
    let limit = wgpu_qat::data::cifar::MAX_BATCH_BYTES;
    std::fs::File::create(cifar.join("data_batch_1.bin")).unwrap().set_len(limit + 3073).unwrap();
    std::fs::File::create(cifar.join("test_batch.bin")).unwrap().set_len(3073).unwrap();
    fails_with(&["eval", "--model", s(&m), "--data", s(&cifar)], &["data_batch_1.bin", &format!("the {limit} bytes")]);
    // The export names its format as users do.
    let (code, out, err) = qat(&["export", "--model", s(&m), "--format", "onnx", "--out", s(&dir.join("m.onnx"))]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("bytes, ONNX)") && !out.contains("Onnx"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `qat import --images --logits`: images that are not whole images of the model's input are
/// refused naming the file and the sizes, and the logits may not replace the images.
#[test]
fn import_logits_need_whole_images_and_never_replace_them() {
    let dir = tmp_dir("import-images");
    let onnx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx/pytorch_dwbn.onnx");
    let (spec, images, logits) = (dir.join("m.toml"), dir.join("x.u8"), dir.join("y.f32"));
    std::fs::write(&images, vec![7u8; 784 + 5]).unwrap();
    let args = |out: &Path| {
        vec![
            "import".to_string(),
            s(&onnx).into(),
            "--out".into(),
            s(&spec).into(),
            "--images".into(),
            s(&images).into(),
            "--logits".into(),
            s(out).into(),
        ]
    };
    let a = args(&logits);
    fails_with(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &["x.u8", "789 bytes", "[28, 28, 1]", "784 bytes each"],
    );
    assert!(!logits.exists() && !spec.exists(), "nothing is written");
    let a = args(&images);
    fails_with(&a.iter().map(String::as_str).collect::<Vec<_>>(), &["--logits", "--images", "x.u8"]);
    assert_eq!(std::fs::read(&images).unwrap().len(), 789, "the images are as they were");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--layout nchw` is an ONNX export's: the `.tflite` is refused before the model is read.
#[test]
fn an_nchw_tflite_is_refused_with_the_way_out() {
    let dir = tmp_dir("layout");
    let m = a_model(&dir);
    let out = dir.join("m.tflite");
    fails_with(
        &["export", "--model", s(&m), "--format", "tflite", "--layout", "nchw", "--out", s(&out)],
        &["--layout nchw", "--format onnx"],
    );
    assert!(!out.exists());
    let onnx = dir.join("m.onnx");
    let (code, _, err) =
        common::cli::qat(&["export", "--model", s(&m), "--format", "onnx", "--layout", "nchw", "--out", s(&onnx)]);
    assert_eq!(code, 0, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
