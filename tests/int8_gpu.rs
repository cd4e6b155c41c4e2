//! The int8 model on the GPU (`int8_gpu`, shaders/int8/) against the CPU int8 interpreter: the
//! same output bytes, image by image, for every built-in model with random weights and wide
//! ranges (every op: QUANTIZE, conv, depthwise, max and average pooling, MEAN, ADD,
//! CONCATENATION, FULLY_CONNECTED), with and without input normalization, across batch splits,
//! with 32-bit-word arithmetic and unpacked dot products, and, where the device has them, i64/f64
//! and WGSL's dot4I8Packed.

mod common;

use common::{synthetic_split, synthetic_state};
use qat_int8::interpreter::run_batch;
use qat_int8::model::InputNorm;
use wgpu_qat::gpu::Strategy;
use wgpu_qat::int8_gpu::arithmetic::Arithmetic;
use wgpu_qat::int8_gpu::model::GpuInt8Model;
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::quantize::quantize;

/// The kernel variants the device has (`GpuInt8Model::variants`), saying which it lacks.
fn arithmetics(gpu: &wgpu_qat::gpu::Gpu) -> Vec<(Arithmetic, bool)> {
    let have = GpuInt8Model::variants(gpu);
    for a in [Arithmetic::Words, Arithmetic::Native] {
        for dot4 in [false, true] {
            if !have.contains(&(a, dot4)) {
                eprintln!("SKIP: int8 kernels with {a:?} arithmetic, dot4I8Packed {dot4}: not on this device");
            }
        }
    }
    have
}

#[test]
fn gpu_int8_output_bytes_equal_the_cpu_interpreters_for_every_builtin() {
    let Some(gpu) = common::gpu() else { return };
    for name in wgpu_qat::model::spec::BUILTINS {
        let spec = ModelSpec::builtin(name).unwrap();
        for seed in [3u64, 4] {
            let mut state = synthetic_state(&spec, seed).unwrap();
            if seed == 4 {
                let c = spec.input[2] as usize;
                state.input_norm = InputNorm { mean: vec![0.45; c], std: vec![0.27; c] };
                state.input_range = [-1.7, 2.1];
            }
            let model = quantize(&state).unwrap();
            let pixels = spec.input.iter().product::<u32>() as usize;
            let count = 150;
            let images = synthetic_split(count, pixels, seed + 10).images;
            let cpu = run_batch(&model, &images, count).unwrap();
            for (arithmetic, dot4) in arithmetics(gpu) {
                let g = GpuInt8Model::upload_with(gpu, &model, arithmetic, dot4).unwrap();
                // Batches of 64: three submits, the last one partial.
                let ours = g.run(gpu, &images, count, 64).unwrap();
                let differing = cpu.iter().zip(&ours).filter(|(a, b)| a != b).count();
                assert_eq!(ours.len(), cpu.len(), "{name}");
                assert_eq!(
                    differing,
                    0,
                    "{name} (seed {seed}, {arithmetic:?}): {differing} of {} output bytes differ",
                    cpu.len()
                );
            }
        }
    }
}

/// Ops the built-ins lack: average pooling ("same" windows counting in-bounds taps only, and
/// "valid"), a three-way concat, ReLU6 clamps, explicit uneven padding of a conv at stride 2, of a
/// depthwise conv and of a max pool (on 7 + 4 + 5 channels: its four-channel path), odd channel counts.
#[test]
fn gpu_int8_matches_the_cpu_on_average_pooling_and_wide_concats() {
    let Some(gpu) = common::gpu() else { return };
    let spec = wgpu_qat::model::file::from_toml(
        r#"
        name = "odd"
        input = [13, 11, 3]
        [[layers]]
        name = "a"
        type = "conv2d"
        filters = 7
        kernel = 3
        stride = 2
        padding = [1, 0, 2, 1]
        activation = "relu6"
        [[layers]]
        name = "pool_same"
        type = "avg_pool"
        input = "a"
        size = 3
        stride = 2
        padding = "same"
        [[layers]]
        name = "b"
        type = "depthwise_conv2d"
        input = "pool_same"
        kernel = 3
        padding = [2, 0, 1, 1]
        activation = "relu"
        [[layers]]
        name = "c"
        type = "conv2d"
        input = "pool_same"
        filters = 4
        kernel = 1
        [[layers]]
        name = "d"
        type = "conv2d"
        input = "pool_same"
        filters = 5
        kernel = 1
        activation = "relu6"
        [[layers]]
        name = "cat"
        type = "concat"
        inputs = ["b", "c", "d"]
        [[layers]]
        name = "pool_max"
        type = "max_pool"
        input = "cat"
        size = 3
        stride = 1
        padding = [1, 0, 2, 1]
        [[layers]]
        name = "pool_valid"
        type = "avg_pool"
        input = "pool_max"
        size = 2
        stride = 1
        [[layers]]
        name = "flat"
        type = "flatten"
        input = "pool_valid"
        [[layers]]
        name = "out"
        type = "dense"
        units = 9
        "#,
    )
    .unwrap();
    let _ = spec.shapes().unwrap();
    for seed in [5u64, 6, 7] {
        let model = quantize(&synthetic_state(&spec, seed).unwrap()).unwrap();
        let count = 97;
        let images = synthetic_split(count, 13 * 11 * 3, seed).images;
        let cpu = run_batch(&model, &images, count).unwrap();
        for (arithmetic, dot4) in arithmetics(gpu) {
            // Both ways of shaping the kernels that have a choice (the dense layer's lanes).
            for strategy in [Strategy::CpuLanes, Strategy::GpuWide] {
                let g = GpuInt8Model::upload_with(gpu, &model, arithmetic, dot4).unwrap().with_strategy(strategy);
                let ours = g.run(gpu, &images, count, 40).unwrap();
                assert_eq!(cpu, ours, "seed {seed}, {arithmetic:?}, dot4 {dot4}, {strategy:?}");
            }
        }
    }
}

/// Every way int8/conv2d cuts its work (`int8_gpu::conv2d::conv2d_grid`): the one-pixel stem path with
/// two blocks of output channels, the last one partial (3 -> 24 channels), four output channels
/// of one pixel (24 -> 16, 20 -> 8), four channels of four pixels with "same" padding, stride 2
/// and a batch whose pixel count is not a multiple of four (16 -> 20), fewer than four output
/// channels (8 -> 3) and a depthwise conv on three channels. And both of
/// int8/fully_connected's (`int8_gpu::fully_connected::fully_connected_grid`): one lane per output word (21
/// units, 18 inputs; and 5 units under the GPU strategy) and four images per lane (5 units, 21
/// inputs: rows that start anywhere in a word).
#[test]
fn gpu_int8_conv_paths_match_the_cpu() {
    let Some(gpu) = common::gpu() else { return };
    let spec = wgpu_qat::model::file::from_toml(
        r#"
        name = "conv-paths"
        input = [9, 7, 3]
        [[layers]]
        name = "stem"
        type = "conv2d"
        filters = 24
        kernel = 3
        padding = "same"
        activation = "relu"
        [[layers]]
        name = "four"
        type = "conv2d"
        filters = 16
        kernel = 3
        stride = 2
        padding = "same"
        [[layers]]
        name = "block"
        type = "conv2d"
        filters = 20
        kernel = 3
        stride = 2
        padding = "same"
        activation = "relu6"
        [[layers]]
        name = "four_pointwise"
        type = "conv2d"
        filters = 8
        kernel = 1
        [[layers]]
        name = "narrow"
        type = "conv2d"
        filters = 3
        kernel = 1
        [[layers]]
        name = "dw3"
        type = "depthwise_conv2d"
        kernel = 3
        padding = "same"
        [[layers]]
        name = "flat"
        type = "flatten"
        [[layers]]
        name = "wide"
        type = "dense"
        units = 21
        activation = "relu"
        [[layers]]
        name = "out"
        type = "dense"
        units = 5
        "#,
    )
    .unwrap();
    let shapes = spec.shapes().unwrap();
    assert_eq!(shapes[2], [3, 2, 20], "the block layer's output: 6 pixels per image");
    for seed in [8u64, 9] {
        let model = quantize(&synthetic_state(&spec, seed).unwrap()).unwrap();
        let count = 97;
        let images = synthetic_split(count, 9 * 7 * 3, seed).images;
        let cpu = run_batch(&model, &images, count).unwrap();
        for (arithmetic, dot4) in arithmetics(gpu) {
            // Both ways of shaping the kernels that have a choice (the dense layer's lanes).
            for strategy in [Strategy::CpuLanes, Strategy::GpuWide] {
                let g = GpuInt8Model::upload_with(gpu, &model, arithmetic, dot4).unwrap().with_strategy(strategy);
                let ours = g.run(gpu, &images, count, 41).unwrap();
                assert_eq!(cpu, ours, "seed {seed}, {arithmetic:?}, dot4 {dot4}, {strategy:?}");
            }
        }
    }
}

/// Through the binary: `eval --device gpu` writes the very logits bytes `eval` (CPU) writes,
/// `predict --device gpu` gives the same logits, and `verify` counts 0 differing bytes.
#[test]
fn eval_predict_and_verify_run_the_gpu_int8_kernels() {
    if common::gpu().is_none() || common::mnist().is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("qat-int8-gpu-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model_path = dir.join("m.qat");
    let model = quantize(&synthetic_state(&ModelSpec::builtin("mnist-dwbn").unwrap(), 9).unwrap()).unwrap();
    qat_int8::format::write(&model, &model_path).unwrap();
    let m = model_path.to_str().unwrap();
    let qat = |args: &[&str]| -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qat")).args(args).output().unwrap();
        assert!(out.status.success(), "qat {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (cpu, gpu) = (dir.join("cpu.bin"), dir.join("gpu.bin"));
    qat(&["eval", "--model", m, "--limit", "700", "--logits", cpu.to_str().unwrap()]);
    qat(&["eval", "--model", m, "--limit", "700", "--device", "gpu", "--logits", gpu.to_str().unwrap()]);
    let (a, b) = (std::fs::read(&cpu).unwrap(), std::fs::read(&gpu).unwrap());
    assert_eq!(a.len(), 7000);
    assert!(a == b, "eval --device gpu wrote other logits than the CPU");
    let v: serde_json::Value =
        serde_json::from_str(&qat(&["verify", "--model", m, "--limit", "700", "--json"])).unwrap();
    assert_eq!(v["gpu_int8_differing_bytes"], 0, "{v}");
    let variants = v["gpu_int8_variants"].as_array().unwrap();
    assert!(!variants.is_empty(), "{v}");
    for variant in variants {
        assert_eq!(variant["differing_bytes"], 0, "{variant}");
    }
    let png = dir.join("digit.png");
    let digit = &common::mnist().unwrap().test.images[..784];
    image::GrayImage::from_raw(28, 28, digit.to_vec()).unwrap().save(&png).unwrap();
    let p = png.to_str().unwrap();
    let on_cpu: serde_json::Value = serde_json::from_str(&qat(&["predict", "--model", m, p, "--json"])).unwrap();
    let on_gpu: serde_json::Value =
        serde_json::from_str(&qat(&["predict", "--model", m, p, "--json", "--device", "gpu"])).unwrap();
    assert_eq!(on_cpu["predictions"][0]["logits"], on_gpu["predictions"][0]["logits"]);
    assert_eq!(on_cpu["predictions"][0]["logits"].as_array().unwrap().len(), 10);
}
