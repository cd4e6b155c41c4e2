//! GPU-free: the integer rules and int8 kernels that MobileNet-class models need (fused ReLU6
//! clamps, ADD's 20-bit rescale, MEAN, AVERAGE_POOL_2D, DEPTHWISE_CONV_2D, CONCATENATION), on
//! worked examples and against float arithmetic within one output LSB.

use proptest::prelude::*;
use wgpu_qat::export::model::QLayer;
use wgpu_qat::ops::conv2d::Padding;
use wgpu_qat::quant::add::AddRescale;
use wgpu_qat::quant::clamp::{Activation, Clamp};
use wgpu_qat::quant::mean::MeanRescale;
use wgpu_qat::quant::multiplier::{quantize_multiplier, QuantizedMultiplier};
use wgpu_qat::quant::params::TensorQuant;
use wgpu_qat::reference::int8::{add, average_pool, concat, conv2d, depthwise_conv2d, mean_hw, DepthwiseLayer, Tensor};

fn q(scale: f32, zero_point: i32) -> TensorQuant {
    TensorQuant { scale, zero_point }
}

#[test]
fn fused_clamps() {
    assert_eq!(Clamp::fused(Activation::None, q(0.1, 3)), Clamp { min: -128, max: 127 });
    assert_eq!(Clamp::fused(Activation::Relu, q(0.1, 3)), Clamp { min: 3, max: 127 });
    // ReLU6 at scale 0.05, zp -128: 6 / 0.05 = 120 -> max = -8.
    assert_eq!(Clamp::fused(Activation::Relu6, q(0.05, -128)), Clamp { min: -128, max: -8 });
    // A range wider than 6 saturates at 127.
    assert_eq!(Clamp::fused(Activation::Relu6, q(0.01, -100)), Clamp { min: -100, max: 127 });
}

#[test]
fn add_worked_example() {
    // Equal scales 0.1, zero points 0: 3 + 4 = 7 exactly.
    let r = AddRescale::new(q(0.1, 0), q(0.1, 0), q(0.1, 0));
    assert_eq!(r.input1, QuantizedMultiplier { multiplier: 1 << 30, shift: 0 });
    // twice_max / (2^20 * s_out) with both scales the same f32: exactly 2^-19 = 0.5 * 2^-18.
    assert_eq!(r.output, QuantizedMultiplier { multiplier: 1 << 30, shift: -18 });
    let a = Tensor { shape: [1, 1, 2], data: vec![3, -100] };
    let b = Tensor { shape: [1, 1, 2], data: vec![4, -100] };
    let y = add(&a, 0, &b, 0, &r, 0, Clamp::FULL);
    assert_eq!(y.data, vec![7, -128]); // -200 saturates
}

proptest! {
    #[test]
    fn add_is_within_one_lsb_of_float(qa in -128i32..=127, qb in -128i32..=127, za in -20i32..20, zb in -20i32..20,
                                      sa in 0.005f32..0.2, sb in 0.005f32..0.2, so in 0.01f32..0.4, zo in -30i32..30) {
        let r = AddRescale::new(q(sa, za), q(sb, zb), q(so, zo));
        let got = r.apply(qa as i8, za, qb as i8, zb, zo);
        let real = (qa - za) as f64 * sa as f64 + (qb - zb) as f64 * sb as f64;
        let want = (real / so as f64).round() as i32 + zo;
        prop_assert!((got - want).abs() <= 1, "got {got}, float {want}");
    }

    #[test]
    fn mean_is_within_one_lsb_of_float(vals in proptest::collection::vec(-128i32..=127, 49), zi in -10i32..10, zo in -10i32..10,
                                       si in 0.01f32..0.1, so in 0.005f32..0.1) {
        let r = MeanRescale::new(q(si, zi), q(so, zo), 49);
        let sum: i32 = vals.iter().sum();
        let got = r.apply(sum, zi, zo);
        let real = (sum - zi * 49) as f64 / 49.0 * si as f64;
        let want = (real / so as f64).round() as i32 + zo;
        prop_assert!((got - want).abs() <= 1, "got {got}, float {want}");
    }
}

#[test]
fn mean_worked_example() {
    // 7x7 of 10 at equal scales: (M, sh) = (2^30, 1); k = 5; M' = floor(2^35 / 49) = 701219150;
    // SRDHM(490, M') = round(490 * M' / 2^31) = round(159.99999) = 160, RDBPOT(160, 4) = 10.
    let r = MeanRescale::new(q(1.0, 0), q(1.0, 0), 49);
    assert_eq!(r.multiplier, QuantizedMultiplier { multiplier: 701219150, shift: -4 });
    let x = Tensor { shape: [7, 7, 1], data: vec![10; 49] };
    assert_eq!(mean_hw(&x, &r, 0, 0, Clamp::FULL).data, vec![10]);
}

#[test]
fn average_pool_rounds_half_away_and_skips_padding() {
    let x = Tensor { shape: [2, 2, 2], data: vec![1, -1, 2, -2, 3, -3, 4, -4] };
    // 10 / 4 = 2.5 -> 3 and -2.5 -> -3.
    assert_eq!(average_pool(&x, 2, 2, Padding::Valid, Clamp::FULL).data, vec![3, -3]);
    // SAME padding, 3x3 windows on 2x2: every window sees all 4 in-bounds values.
    assert_eq!(average_pool(&x, 3, 1, Padding::Same, Clamp::FULL).data, vec![3, -3, 3, -3, 3, -3, 3, -3]);
}

#[test]
fn depthwise_with_one_channel_is_a_one_filter_conv() {
    let weights: Vec<i8> = vec![5, -7, 9, 11, -127, 3, 2, 0, 127];
    let m = quantize_multiplier(0.0123);
    let clamp = Clamp::fused(Activation::Relu6, q(0.05, -20));
    let dw = DepthwiseLayer {
        kernel: [3, 3],
        stride: 2,
        padding: Padding::Same,
        weights: weights.clone(),
        bias: vec![-300],
        multipliers: vec![m],
        output_zero_point: -20,
        clamp,
    };
    let conv = QLayer::Conv2d {
        out_channels: 1,
        kernel: [3, 3],
        in_channels: 1,
        stride: 2,
        padding: Padding::Same,
        activation: Activation::None,
        weight_scales: vec![0.01],
        multipliers: vec![m],
        bias: vec![-300],
        weights,
        output: q(0.05, -20),
        clamp,
    };
    let x = Tensor { shape: [7, 6, 1], data: (0..42).map(|i| ((i * 37) % 256 - 128) as i8).collect() };
    assert_eq!(depthwise_conv2d(&dw, &x, 7), conv2d(&conv, &x, 7));
}

#[test]
fn depthwise_channels_are_independent() {
    // Two channels with different weights and multipliers: each equals its one-channel run.
    let x = Tensor { shape: [4, 4, 2], data: (0..32).map(|i| (i * 7 % 200 - 100) as i8).collect() };
    let w: Vec<i8> = (0..18).map(|i| (i * 13 % 255 - 127) as i8).collect();
    let ms = vec![quantize_multiplier(0.02), quantize_multiplier(0.003)];
    let layer = DepthwiseLayer {
        kernel: [3, 3],
        stride: 1,
        padding: Padding::Valid,
        weights: w.clone(),
        bias: vec![10, -10],
        multipliers: ms.clone(),
        output_zero_point: 0,
        clamp: Clamp::FULL,
    };
    let y = depthwise_conv2d(&layer, &x, -3);
    for (ch, &m) in ms.iter().enumerate() {
        let xc = Tensor { shape: [4, 4, 1], data: x.data.iter().skip(ch).step_by(2).copied().collect() };
        let one = DepthwiseLayer {
            weights: w.iter().skip(ch).step_by(2).copied().collect(),
            bias: vec![layer.bias[ch]],
            multipliers: vec![m],
            ..layer.clone()
        };
        let yc = depthwise_conv2d(&one, &xc, -3);
        assert_eq!(y.data.iter().skip(ch).step_by(2).copied().collect::<Vec<_>>(), yc.data, "channel {ch}");
    }
}

#[test]
fn concat_copies_channels_in_order() {
    let a = Tensor { shape: [1, 2, 1], data: vec![1, 2] };
    let b = Tensor { shape: [1, 2, 2], data: vec![3, 4, 5, 6] };
    let y = concat(&[&a, &b]);
    assert_eq!(y.shape, [1, 2, 3]);
    assert_eq!(y.data, vec![1, 3, 4, 2, 5, 6]);
}
