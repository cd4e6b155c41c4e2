//! GPU-free: export, the model file (round trip, corruption, truncation, versions), and the int8
//! interpreter against worked examples and against a CPU float simulation of fake quant.

mod common;

use wgpu_qat::bench::synthetic_split;
use wgpu_qat::data::rng::Rng;
use wgpu_qat::export::format::{from_bytes, read, to_bytes, write, HEADER_LEN};
use wgpu_qat::export::model::{Clamp, QLayer, QuantModel};
use wgpu_qat::export::quantize::{dequantize, quantize, TrainedState};
use wgpu_qat::model::{Layer, ModelSpec};
use wgpu_qat::ops::conv2d::{Conv2dParams, Padding};
use wgpu_qat::ops::pool::MaxPoolParams;
use wgpu_qat::quant::clamp::Activation;
use wgpu_qat::quant::fake_quant::{nudge, Grid};
use wgpu_qat::quant::multiplier::{quantize_multiplier, Rounding};
use wgpu_qat::quant::params::TensorQuant;
use wgpu_qat::reference::f32 as cpu;
use wgpu_qat::reference::int8::{fully_connected, run_batch, run_image, Tensor};
use wgpu_qat::train::eval::argmax;
use wgpu_qat::train::network::{HostParams, WeightQuant};

/// A mnist-cnn state with random weights and fixed ranges.
fn random_state(seed: u64) -> TrainedState {
    let spec = ModelSpec::mnist_cnn();
    let mut rng = Rng::new(seed);
    let conv = HostParams {
        weight: (0..108).map(|_| rng.uniform(-0.5, 0.5)).collect(),
        bias: (0..12).map(|_| rng.uniform(-0.1, 0.1)).collect(),
        bn: None,
    };
    let dense = HostParams {
        weight: (0..20280).map(|_| rng.uniform(-0.05, 0.05)).collect(),
        bias: (0..10).map(|_| rng.uniform(-0.1, 0.1)).collect(),
        bn: None,
    };
    TrainedState {
        spec,
        params: vec![conv, dense],
        input_range: [0.0, 1.0],
        output_ranges: vec![Some([0.0, 1.7]), None, None, Some([-7.0, 9.0])],
        bits: 8,
        weight_quant: WeightQuant::PerChannel,
    }
}

#[test]
fn export_round_trips_exactly() {
    let model = quantize(&random_state(1)).unwrap();
    let bytes = to_bytes(&model).unwrap();
    assert_eq!(from_bytes(&bytes).unwrap(), model);
    let dir = std::env::temp_dir().join(format!("qat-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.qat");
    let n = write(&model, &path).unwrap();
    assert_eq!(n as usize, bytes.len());
    assert_eq!(read(&path).unwrap(), model);
    // About 4x smaller than float32 weights.
    let float_bytes = 4 * ModelSpec::mnist_cnn().parameter_count().unwrap();
    assert!((bytes.len() as f64) <= 0.27 * float_bytes as f64, "{} vs {float_bytes}", bytes.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn export_uses_tflite_conventions() {
    let model = quantize(&random_state(2)).unwrap();
    assert_eq!(model.input_quant, TensorQuant { scale: 1.0 / 255.0, zero_point: -128 });
    let QLayer::Conv2d { weights, weight_scales, bias, multipliers, output, clamp, .. } = &model.nodes[0].op else {
        panic!()
    };
    // Per-channel symmetric: every channel reaches +-127 exactly once its max is quantized.
    for c in 0..12 {
        let ch = &weights[c * 9..(c + 1) * 9];
        assert!(ch.iter().any(|&w| w.unsigned_abs() == 127), "channel {c}: {ch:?}");
        assert!(ch.iter().all(|&w| w != -128));
        let m = quantize_multiplier(model.input_quant.scale as f64 * weight_scales[c] as f64 / output.scale as f64);
        assert_eq!(multipliers[c], m);
        assert!(bias[c].abs() < 1 << 24);
    }
    // ReLU output range [0, 1.7]: zero point -128, clamp starts there.
    assert_eq!(output.zero_point, -128);
    assert_eq!(clamp, &Clamp { min: -128, max: 127 });
    assert_eq!(model.rounding, Rounding::DoubleRounding);
}

#[test]
fn version_2_files_are_still_read_with_the_unit_input_normalization() {
    let model = quantize(&random_state(9)).unwrap();
    let v3 = to_bytes(&model).unwrap();
    assert_eq!(u16::from_le_bytes([v3[4], v3[5]]), 3);
    // Version 2 is version 3 without the normalization record (mean, std per input channel)
    // after the input quantization.
    let at = 4 + 12 + 8;
    let mut payload = v3[HEADER_LEN..HEADER_LEN + at].to_vec();
    assert_eq!(
        &v3[HEADER_LEN + at..HEADER_LEN + at + 8],
        [0.0f32.to_le_bytes(), 1.0f32.to_le_bytes()].concat().as_slice()
    );
    payload.extend_from_slice(&v3[HEADER_LEN + at + 8..]);
    assert_eq!(from_bytes(&common::seal_with(&payload, 2, 0)).unwrap(), model);
}

#[test]
fn corrupt_and_truncated_files_are_rejected_clearly() {
    let bytes = to_bytes(&quantize(&random_state(3)).unwrap()).unwrap();
    let err = |b: &[u8]| from_bytes(b).unwrap_err();
    assert!(err(&[]).contains("shorter than"), "{}", err(&[]));
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert!(err(&bad).contains("magic"));
    let mut v4 = bytes.clone();
    v4[4] = 4;
    assert!(err(&v4).contains("version 4") && err(&v4).contains("newer"), "{}", err(&v4));
    let mut v1 = bytes.clone();
    v1[4] = 1;
    assert!(err(&v1).contains("version 1") && err(&v1).contains("re-export"), "{}", err(&v1));
    let mut flip = bytes.clone();
    let mid = HEADER_LEN + 500;
    flip[mid] ^= 0x10;
    assert!(err(&flip).contains("checksum"), "{}", err(&flip));
    let cut = &bytes[..bytes.len() - 7];
    assert!(err(cut).contains("truncated"), "{}", err(cut));
    // Every prefix is an error, never a panic.
    for len in (0..bytes.len()).step_by(97) {
        assert!(from_bytes(&bytes[..len]).is_err());
    }
}

#[test]
fn structurally_bad_payloads_never_panic() {
    let bytes = to_bytes(&quantize(&random_state(4)).unwrap()).unwrap();
    let payload = &bytes[HEADER_LEN..];
    // Damage each of the first 200 payload bytes (headers and layer descriptors) in turn.
    for i in 0..200.min(payload.len()) {
        for v in [0x00u8, 0xff, 0x7f, 0x80] {
            let mut p = payload.to_vec();
            p[i] = v;
            let _ = from_bytes(&common::seal(&p));
        }
    }
    // A wrong layer tag is named.
    let mut p = payload.to_vec();
    // Rounding and reserved, input shape, input quantization, normalization (1 channel), count.
    let first_layer = 4 + 12 + 8 + 8 + 4;
    p[first_layer] = 77;
    let e = from_bytes(&common::seal(&p)).unwrap_err();
    assert!(e.contains("node 0") && e.contains("tag 77"), "{e}");
}

#[test]
fn conv_int8_worked_example() {
    // 1x1 conv, one channel: x int8 with zp -128 at scale 1/255, w = 64 at scale 0.5/127,
    // bias 100, output scale 0.01 zp -128. acc = 100 + 64 * (x + 128).
    let s_in = 1.0f32 / 255.0;
    let s_w = 0.5f32 / 127.0;
    let out = TensorQuant { scale: 0.01, zero_point: -128 };
    let m = quantize_multiplier(s_in as f64 * s_w as f64 / out.scale as f64);
    let layer = QLayer::Conv2d {
        out_channels: 1,
        kernel: [1, 1],
        in_channels: 1,
        stride: 1,
        padding: Padding::Valid,
        activation: Activation::Relu,
        weight_scales: vec![s_w],
        multipliers: vec![m],
        bias: vec![100],
        weights: vec![64],
        output: out,
        clamp: Clamp { min: -128, max: 127 },
    };
    let x = Tensor { shape: [1, 2, 1], data: vec![-128, 127] };
    let y = wgpu_qat::reference::int8::conv2d(&layer, &x, -128);
    // real(acc) = acc * s_in * s_w; out = round(real / 0.01) - 128.
    for (xi, yi) in x.data.iter().zip(&y.data) {
        let acc = 100 + 64 * (*xi as i32 + 128);
        let real = acc as f64 * s_in as f64 * s_w as f64;
        let want = ((real / 0.01).round() as i32 - 128).clamp(-128, 127);
        assert_eq!(*yi as i32, want, "x = {xi}");
    }
}

#[test]
fn fully_connected_uses_the_float64_rescale() {
    // acc = 3 * (10 - (-2)) + 1 = 37; multiplier = 0.5 * 0.25 / 1.0 = 0.125 -> 4.625 -> 5.
    let layer = QLayer::FullyConnected {
        units: 1,
        inputs: 1,
        activation: Activation::None,
        weight_scale: 0.25,
        bias: vec![1],
        weights: vec![3],
        output: TensorQuant { scale: 1.0, zero_point: 3 },
        clamp: Clamp { min: -128, max: 127 },
    };
    let y = fully_connected(&layer, &Tensor { shape: [1, 1, 1], data: vec![10] }, -2, 0.5);
    assert_eq!(y.data, vec![8]); // 5 + 3
                                 // A tie: acc = 4 * (1 - (-1)) + 4 = 12, 12 * 0.125 = 1.5 -> 2 (away from zero); -1.5 -> -2.
    let tie = |bias: i32| {
        let l = QLayer::FullyConnected {
            units: 1,
            inputs: 1,
            activation: Activation::None,
            weight_scale: 0.25,
            bias: vec![bias],
            weights: vec![4],
            output: TensorQuant { scale: 1.0, zero_point: 0 },
            clamp: Clamp { min: -128, max: 127 },
        };
        fully_connected(&l, &Tensor { shape: [1, 1, 1], data: vec![1] }, -1, 0.5).data[0]
    };
    assert_eq!(tie(4), 2);
    assert_eq!(tie(-20), -2);
}

/// The CPU float simulation of the fake-quant forward that a model file stands for.
fn fake_quant_forward_cpu(state: &TrainedState, images: &[u8], count: usize) -> Vec<f32> {
    let act = Grid::activation(8);
    let wgrid = Grid::weight(8);
    let pixels = 784;
    let mut out = Vec::new();
    for i in 0..count {
        let x: Vec<f32> = images[i * pixels..(i + 1) * pixels].iter().map(|&p| p as f32 / 255.0).collect();
        let n_in = nudge(state.input_range[0], state.input_range[1], act);
        let x: Vec<f32> = x.iter().map(|&v| n_in.fake_quant(v)).collect();
        let conv = &state.params[0];
        let wr = cpu::weight_range(&conv.weight, 12, 9);
        let w = cpu::fake_quant_forward(&conv.weight, &wr, 12, 9, wgrid);
        let p = Conv2dParams::new(1, [28, 28, 1], 12, [3, 3], 1, Padding::Valid).unwrap();
        let y = cpu::relu_forward(&cpu::conv2d_forward(&p, &x, &w, &conv.bias));
        let r = state.output_ranges[0].unwrap();
        let y = cpu::fake_quant_forward(&y, &r, 1, y.len(), act);
        let pp = MaxPoolParams::new(1, [26, 26, 12], 2, 2).unwrap();
        let y = cpu::max_pool_forward(&pp, &y).0;
        let dense = &state.params[1];
        let wr = cpu::weight_range(&dense.weight, 1, dense.weight.len());
        let w = cpu::fake_quant_forward(&dense.weight, &wr, 1, dense.weight.len(), wgrid);
        let s = wgpu_qat::ops::dense::DenseShape { n: 1, inputs: 2028, outputs: 10 };
        let logits = cpu::matmul_strided(&s.forward_params(), &y, &w, &dense.bias);
        let r = state.output_ranges[3].unwrap();
        out.extend(cpu::fake_quant_forward(&logits, &r, 1, 10, act));
    }
    out
}

#[test]
fn int8_interpreter_agrees_with_the_fake_quant_simulation() {
    let model = quantize(&random_state(5)).unwrap();
    let state = dequantize(&model).unwrap();
    let data = synthetic_split(60, 784, 8);
    let int8 = run_batch(&model, &data.images, data.count).unwrap();
    let fq = fake_quant_forward_cpu(&state, &data.images, data.count);
    let out = model.logits_quant();
    let mut max_diff = 0;
    for (f, q) in fq.iter().zip(&int8) {
        let lsb = (f / out.scale).round() as i32 + out.zero_point;
        max_diff = max_diff.max((lsb - *q as i32).abs());
    }
    assert!(max_diff <= 2, "int8 and fake-quant logits differ by {max_diff} LSB");
    let agree = fq.chunks(10).zip(int8.chunks(10)).filter(|(a, b)| argmax(a) == argmax(b)).count();
    assert!(agree >= 57, "top-1 agreement {agree}/60");
    // And run_image is what run_batch does per image.
    assert_eq!(run_image(&model, &data.images[..784]).unwrap(), int8[..10].to_vec());
}

#[test]
fn model_spec_rejects_bad_shapes_naming_the_layer() {
    let layers = |spec: &ModelSpec| spec.nodes.iter().map(|n| (n.name.clone(), n.layer.clone())).collect::<Vec<_>>();
    let mut l = layers(&ModelSpec::mnist_cnn());
    l.insert(2, ("big_pool".into(), Layer::MaxPool { size: 20, stride: 2 }));
    let spec = ModelSpec::sequential("bad", [28, 28, 1], l.iter().map(|(n, l)| (n.as_str(), l.clone())).collect());
    let e = spec.shapes().unwrap_err().to_string();
    assert!(e.contains("layer 2") && e.contains("big_pool") && e.contains("max_pool"), "{e}");
    let mut l = layers(&ModelSpec::mnist_cnn());
    l.remove(2);
    let spec = ModelSpec::sequential("bad", [28, 28, 1], l.iter().map(|(n, l)| (n.as_str(), l.clone())).collect());
    let e = spec.shapes().unwrap_err().to_string();
    assert!(e.contains("logits") && e.contains("flatten"), "{e}");
    assert_eq!(ModelSpec::mnist_cnn().parameter_count().unwrap(), 108 + 12 + 20280 + 10);
    assert!(ModelSpec::builtin("resnet-9000").unwrap_err().to_string().contains("mnist-cnn"));
}

#[test]
fn quantized_model_struct_is_complete() {
    // Guard against a future layer kind being dropped by the writer: every layer of the
    // built-in goes through the file and comes back with its op name.
    let model: QuantModel = quantize(&random_state(6)).unwrap();
    let back = from_bytes(&to_bytes(&model).unwrap()).unwrap();
    let names: Vec<_> = back.nodes.iter().map(|n| n.op.op_name()).collect();
    assert_eq!(names, ["CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED"]);
    assert_eq!(back, model);
}
