//! GPU-free: the CPU int8 interpreter and its integer rules: fused ReLU6 clamps, ADD's 20-bit
//! rescale, MEAN, AVERAGE_POOL_2D, DEPTHWISE_CONV_2D, CONCATENATION, conv and fully connected on
//! worked examples and against float arithmetic within one output LSB, and whole models against a
//! CPU float simulation of fake quant.

mod common;

use common::{cnn_state, synthetic_split};
use proptest::prelude::*;
use qat_int8::interpreter::{run_batch, run_image};
use qat_int8::ops::{
    add::Add, avg_pool::AvgPool, concat::Concat, conv2d::Conv2d, depthwise_conv2d::DepthwiseConv2d,
    fully_connected::FullyConnected, mean::Mean, QLayer,
};
use qat_int8::quant::add::AddRescale;
use qat_int8::quant::clamp::{Activation, Clamp};
use qat_int8::quant::fake_quant::{nudge, Grid};
use qat_int8::quant::mean::MeanRescale;
use qat_int8::quant::multiplier::{quantize_multiplier, QuantizedMultiplier};
use qat_int8::quant::params::TensorQuant;
use qat_int8::quant::per_channel::PerChannel;
use qat_int8::shape::Padding;
use qat_int8::tensor::Tensor;
use wgpu_qat::ops::conv2d::Conv2dParams;
use wgpu_qat::ops::max_pool::MaxPoolParams;
use wgpu_qat::ops::{conv2d, fake_quant, matmul, max_pool, observer, relu};
use wgpu_qat::quantize::{dequantize, export::TrainedState, quantize};
use wgpu_qat::train::eval::argmax;

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
    let add = QLayer::Add(Add { activation: Activation::None, output: q(0.1, 0), clamp: Clamp::FULL });
    let y = add.run(&[&a, &b], &[q(0.1, 0), q(0.1, 0)]);
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
    assert_eq!(QLayer::Mean(Mean { output: q(1.0, 0) }).run(&[&x], &[q(1.0, 0)]).data, vec![10]);
}

#[test]
fn average_pool_rounds_half_away_and_skips_padding() {
    let x = Tensor { shape: [2, 2, 2], data: vec![1, -1, 2, -2, 3, -3, 4, -4] };
    // 10 / 4 = 2.5 -> 3 and -2.5 -> -3.
    let pool = |size, stride, padding| QLayer::AvgPool(AvgPool { size, stride, padding }).run(&[&x], &[q(1.0, 0)]);
    assert_eq!(pool(2, 2, Padding::Valid).data, vec![3, -3]);
    // SAME padding, 3x3 windows on 2x2: every window sees all 4 in-bounds values.
    assert_eq!(pool(3, 1, Padding::Same).data, vec![3, -3, 3, -3, 3, -3, 3, -3]);
}

#[test]
fn depthwise_with_one_channel_is_a_one_filter_conv() {
    let weights: Vec<i8> = vec![5, -7, 9, 11, -127, 3, 2, 0, 127];
    let m = quantize_multiplier(0.0123);
    let clamp = Clamp::fused(Activation::Relu6, q(0.05, -20));
    let per_channel = PerChannel { weight_scales: vec![0.01], multipliers: vec![m], bias: vec![-300] };
    let dw = QLayer::DepthwiseConv2d(DepthwiseConv2d {
        channels: 1,
        kernel: [3, 3],
        stride: 2,
        padding: Padding::Same,
        activation: Activation::Relu6,
        per_channel: per_channel.clone(),
        weights: weights.clone(),
        output: q(0.05, -20),
        clamp,
    });
    let conv = QLayer::Conv2d(Conv2d {
        out_channels: 1,
        kernel: [3, 3],
        in_channels: 1,
        stride: 2,
        padding: Padding::Same,
        activation: Activation::Relu6,
        per_channel,
        weights,
        output: q(0.05, -20),
        clamp,
    });
    let x = Tensor { shape: [7, 6, 1], data: (0..42).map(|i| ((i * 37) % 256 - 128) as i8).collect() };
    assert_eq!(dw.run(&[&x], &[q(0.1, 7)]), conv.run(&[&x], &[q(0.1, 7)]));
}

#[test]
fn depthwise_channels_are_independent() {
    // Two channels with different weights and multipliers: each equals its one-channel run.
    let x = Tensor { shape: [4, 4, 2], data: (0..32).map(|i| (i * 7 % 200 - 100) as i8).collect() };
    let w: Vec<i8> = (0..18).map(|i| (i * 13 % 255 - 127) as i8).collect();
    let ms = vec![quantize_multiplier(0.02), quantize_multiplier(0.003)];
    let layer = DepthwiseConv2d {
        channels: 2,
        kernel: [3, 3],
        stride: 1,
        padding: Padding::Valid,
        activation: Activation::None,
        per_channel: PerChannel { weight_scales: vec![0.01; 2], multipliers: ms.clone(), bias: vec![10, -10] },
        weights: w.clone(),
        output: q(0.1, 0),
        clamp: Clamp::FULL,
    };
    let y = QLayer::DepthwiseConv2d(layer.clone()).run(&[&x], &[q(0.1, -3)]);
    for (ch, &m) in ms.iter().enumerate() {
        let xc = Tensor { shape: [4, 4, 1], data: x.data.iter().skip(ch).step_by(2).copied().collect() };
        let one = DepthwiseConv2d {
            channels: 1,
            weights: w.iter().skip(ch).step_by(2).copied().collect(),
            per_channel: PerChannel {
                weight_scales: vec![0.01],
                multipliers: vec![m],
                bias: vec![layer.per_channel.bias[ch]],
            },
            ..layer.clone()
        };
        let yc = QLayer::DepthwiseConv2d(one).run(&[&xc], &[q(0.1, -3)]);
        assert_eq!(y.data.iter().skip(ch).step_by(2).copied().collect::<Vec<_>>(), yc.data, "channel {ch}");
    }
}

#[test]
fn concat_copies_channels_in_order() {
    let a = Tensor { shape: [1, 2, 1], data: vec![1, 2] };
    let b = Tensor { shape: [1, 2, 2], data: vec![3, 4, 5, 6] };
    let y = QLayer::Concat(Concat).run(&[&a, &b], &[q(0.1, 0); 2]);
    assert_eq!(y.shape, [1, 2, 3]);
    assert_eq!(y.data, vec![1, 3, 4, 2, 5, 6]);
}

#[test]
fn conv_int8_worked_example() {
    // 1x1 conv, one channel: x int8 with zp -128 at scale 1/255, w = 64 at scale 0.5/127,
    // bias 100, output scale 0.01 zp -128. acc = 100 + 64 * (x + 128).
    let s_in = 1.0f32 / 255.0;
    let s_w = 0.5f32 / 127.0;
    let out = TensorQuant { scale: 0.01, zero_point: -128 };
    let m = quantize_multiplier(s_in as f64 * s_w as f64 / out.scale as f64);
    let layer = QLayer::Conv2d(Conv2d {
        out_channels: 1,
        kernel: [1, 1],
        in_channels: 1,
        stride: 1,
        padding: Padding::Valid,
        activation: Activation::Relu,
        per_channel: PerChannel { weight_scales: vec![s_w], multipliers: vec![m], bias: vec![100] },
        weights: vec![64],
        output: out,
        clamp: Clamp { min: -128, max: 127 },
    });
    let x = Tensor { shape: [1, 2, 1], data: vec![-128, 127] };
    let y = layer.run(&[&x], &[q(s_in, -128)]);
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
    let layer = QLayer::FullyConnected(FullyConnected {
        units: 1,
        inputs: 1,
        activation: Activation::None,
        weight_scale: 0.25,
        bias: vec![1],
        weights: vec![3],
        output: TensorQuant { scale: 1.0, zero_point: 3 },
        clamp: Clamp { min: -128, max: 127 },
    });
    let y = layer.run(&[&Tensor { shape: [1, 1, 1], data: vec![10] }], &[q(0.5, -2)]);
    assert_eq!(y.data, vec![8]); // 5 + 3
                                 // A tie: acc = 4 * (1 - (-1)) + 4 = 12, 12 * 0.125 = 1.5 -> 2 (away from zero); -1.5 -> -2.
    let tie = |bias: i32| {
        let l = QLayer::FullyConnected(FullyConnected {
            units: 1,
            inputs: 1,
            activation: Activation::None,
            weight_scale: 0.25,
            bias: vec![bias],
            weights: vec![4],
            output: TensorQuant { scale: 1.0, zero_point: 0 },
            clamp: Clamp { min: -128, max: 127 },
        });
        l.run(&[&Tensor { shape: [1, 1, 1], data: vec![1] }], &[q(0.5, -1)]).data[0]
    };
    assert_eq!(tie(4), 2);
    assert_eq!(tie(-20), -2);
}

/// The CPU float simulation of the fake-quant forward (as the QAT plan records it) that a model
/// file stands for.
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
        let wr = observer::twin::weight_range(&conv.weight, 12, 9);
        let w = fake_quant::twin::fake_quant_forward(&conv.weight, &wr, 12, 9, wgrid);
        let p = Conv2dParams::new(1, [28, 28, 1], 12, [3, 3], 1, Padding::Valid).unwrap();
        let y = relu::twin::relu_forward(&conv2d::twin::conv2d_forward(&p, &x, &w, &conv.bias));
        // The conv's output as QAT fake-quantizes it: with the int8 model's double rounding.
        let r = state.output_ranges[0].unwrap();
        let margins = fake_quant::twin::double_rounding_margins(&state.input_range, &wr, &r, 12, act, wgrid);
        let y = fake_quant::twin::fake_quant_requantized_forward(&y, &r, &margins, act);
        let pp = MaxPoolParams::new(1, [26, 26, 12], 2, 2, Padding::Valid).unwrap();
        let y = max_pool::twin::max_pool_forward(&pp, &y).0;
        let dense = &state.params[1];
        let wr = observer::twin::weight_range(&dense.weight, 1, dense.weight.len());
        let w = fake_quant::twin::fake_quant_forward(&dense.weight, &wr, 1, dense.weight.len(), wgrid);
        let s = wgpu_qat::ops::dense::DenseShape { n: 1, inputs: 2028, outputs: 10 };
        let logits = matmul::twin::matmul_strided(&s.forward_params(), &y, &w, &dense.bias);
        let r = state.output_ranges[3].unwrap();
        out.extend(fake_quant::twin::fake_quant_forward(&logits, &r, 1, 10, act));
    }
    out
}

#[test]
fn int8_interpreter_agrees_with_the_fake_quant_simulation() {
    let model = quantize(&cnn_state(5)).unwrap();
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
    // 0 with the double rounding simulated (1 without it), on this seed.
    assert!(max_diff <= 1, "int8 and fake-quant logits differ by {max_diff} LSB");
    let agree = fq.chunks(10).zip(int8.chunks(10)).filter(|(a, b)| argmax(a) == argmax(b)).count();
    assert!(agree >= 57, "top-1 agreement {agree}/60");
    // And run_image is what run_batch does per image.
    assert_eq!(run_image(&model, &data.images[..784]).unwrap(), int8[..10].to_vec());
}
