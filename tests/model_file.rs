//! GPU-free: the int8 model file: export, exact round trip, TFLite conventions, older versions,
//! and corrupt, truncated and structurally bad files rejected clearly.

mod common;

use common::cnn_state;
use qat_int8::format::{from_bytes, read, to_bytes, write, HEADER_LEN};
use qat_int8::model::QuantModel;
use qat_int8::ops::{conv2d::Conv2d, QLayer};
use qat_int8::quant::clamp::Clamp;
use qat_int8::quant::multiplier::{quantize_multiplier, Rounding};
use qat_int8::quant::params::TensorQuant;
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::quantize::quantize;

#[test]
fn export_round_trips_exactly() {
    let model = quantize(&cnn_state(1)).unwrap();
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
    let model = quantize(&cnn_state(2)).unwrap();
    assert_eq!(model.input_quant, TensorQuant { scale: 1.0 / 255.0, zero_point: -128 });
    let QLayer::Conv2d(Conv2d { weights, per_channel, output, clamp, .. }) = &model.nodes[0].op else { panic!() };
    let (weight_scales, bias, multipliers) = (&per_channel.weight_scales, &per_channel.bias, &per_channel.multipliers);
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
fn version_2_and_3_files_are_still_read() {
    let model = quantize(&cnn_state(9)).unwrap();
    let v4 = to_bytes(&model).unwrap();
    assert_eq!(u16::from_le_bytes([v4[4], v4[5]]), 4);
    // Version 3 is version 4 without explicit padding: a model without it reads the same.
    let v3 = common::seal_with(&v4[HEADER_LEN..], 3, 0);
    assert_eq!(from_bytes(&v3).unwrap(), model);
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
    let bytes = to_bytes(&quantize(&cnn_state(3)).unwrap()).unwrap();
    let err = |b: &[u8]| from_bytes(b).unwrap_err();
    assert!(err(&[]).contains("shorter than"), "{}", err(&[]));
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert!(err(&bad).contains("magic"));
    let mut v5 = bytes.clone();
    v5[4] = 5;
    assert!(err(&v5).contains("version 5") && err(&v5).contains("newer"), "{}", err(&v5));
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

/// Explicit padding (format version 4) reads back, its sides are bounded, and a version 3 file
/// that has it is refused.
#[test]
fn explicit_padding_round_trips_and_needs_version_4() {
    let spec = wgpu_qat::model::file::from_toml(
        r#"
        input = [12, 10, 2]
        [[layers]]
        name = "down"
        type = "conv2d"
        filters = 4
        kernel = 3
        stride = 2
        padding = [1, 1, 1, 1]
        [[layers]]
        name = "dw"
        type = "depthwise_conv2d"
        kernel = [3, 2]
        padding = [0, 2, 1, 0]
        [[layers]]
        name = "flat"
        type = "flatten"
        [[layers]]
        name = "logits"
        type = "dense"
        units = 3
        "#,
    )
    .unwrap();
    let model = quantize(&common::synthetic_state(&spec, 5).unwrap()).unwrap();
    let bytes = to_bytes(&model).unwrap();
    assert_eq!(from_bytes(&bytes).unwrap(), model);
    let e = from_bytes(&common::seal_with(&bytes[HEADER_LEN..], 3, 0)).unwrap_err();
    assert!(e.contains("\"down\"") && e.contains("explicit padding is not in format version 3"), "{e}");
    // The first node's padding flag is 2, its four sides follow the node's name; a side of the
    // kernel's size is refused by the shape rule, naming the node.
    let name = bytes.windows(4).position(|w| w == b"down").unwrap();
    assert_eq!(bytes[name - 10..name - 7], [1, 2, 0], "tag, padding, activation");
    let mut wide = bytes[HEADER_LEN..].to_vec();
    wide[name + 4 - HEADER_LEN..name + 8 - HEADER_LEN].copy_from_slice(&3u32.to_le_bytes());
    let e = from_bytes(&common::seal(&wide)).unwrap_err();
    assert!(e.contains("\"down\"") && e.contains("less than the 3x3 kernel"), "{e}");
}

#[test]
fn structurally_bad_payloads_never_panic() {
    let bytes = to_bytes(&quantize(&cnn_state(4)).unwrap()).unwrap();
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
fn quantized_model_struct_is_complete() {
    // Guard against a future layer kind being dropped by the writer: every layer of the
    // built-in goes through the file and comes back with its op name.
    let model: QuantModel = quantize(&cnn_state(6)).unwrap();
    let back = from_bytes(&to_bytes(&model).unwrap()).unwrap();
    let names: Vec<_> = back.nodes.iter().map(|n| n.op.op_name()).collect();
    assert_eq!(names, ["CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED"]);
    assert_eq!(back, model);
}
