//! The built-in models. Each is also shipped as a spec file under examples/models/, and a test
//! checks that the two agree.

use crate::model::kinds::{
    add::Add, concat::Concat, conv2d::Conv2d, dense::Dense, depthwise_conv2d::DepthwiseConv2d, flatten::Flatten,
    global_avg_pool::GlobalAvgPool, max_pool::MaxPool, Layer,
};
use crate::model::spec::{ModelSpec, Node, BUILTINS};
use crate::{QatError, Result};
use qat_int8::quant::clamp::Activation;
use qat_int8::shape::Padding;

/// The built-in model called `name`, if there is one.
pub fn by_name(name: &str) -> Option<ModelSpec> {
    match name {
        "mnist-cnn" => Some(mnist_cnn()),
        "mnist-dwbn" => Some(mnist_dwbn()),
        "mnist-resnet" => Some(mnist_resnet()),
        "cifar-resnet8" => Some(cifar_resnet8()),
        _ => None,
    }
}

fn conv(filters: u32, k: u32, stride: u32, batch_norm: bool, activation: Activation) -> Layer {
    Layer::Conv2d(Conv2d { filters, kernel: [k, k], stride, padding: Padding::Same, batch_norm, activation })
}

fn depthwise(stride: u32) -> Layer {
    Layer::DepthwiseConv2d(DepthwiseConv2d {
        kernel: [3, 3],
        stride,
        padding: Padding::Same,
        batch_norm: true,
        activation: Activation::Relu,
    })
}

/// TFMOT's QAT example: Conv2D 12 3x3 valid + ReLU -> MaxPool 2x2 -> Flatten -> Dense 10.
pub fn mnist_cnn() -> ModelSpec {
    ModelSpec::sequential(
        "mnist-cnn",
        [28, 28, 1],
        vec![
            (
                "conv",
                Layer::Conv2d(Conv2d {
                    filters: 12,
                    kernel: [3, 3],
                    stride: 1,
                    padding: Padding::Valid,
                    batch_norm: false,
                    activation: Activation::Relu,
                }),
            ),
            ("pool", Layer::MaxPool(MaxPool { size: 2, stride: 2, padding: Padding::Valid })),
            ("flatten", Layer::Flatten(Flatten)),
            ("logits", Layer::Dense(Dense { units: 10, activation: Activation::None })),
        ],
    )
}

/// MobileNet-style: Conv 32 3x3 s2 + BN + ReLU -> DW 3x3 + BN + ReLU -> Conv 64 1x1 + BN + ReLU
/// -> DW 3x3 s2 + BN + ReLU -> Conv 128 1x1 + BN + ReLU -> GAP -> Dense 10.
pub fn mnist_dwbn() -> ModelSpec {
    ModelSpec::sequential(
        "mnist-dwbn",
        [28, 28, 1],
        vec![
            ("conv1", conv(32, 3, 2, true, Activation::Relu)),
            ("dw1", depthwise(1)),
            ("pw1", conv(64, 1, 1, true, Activation::Relu)),
            ("dw2", depthwise(2)),
            ("pw2", conv(128, 1, 1, true, Activation::Relu)),
            ("gap", Layer::GlobalAvgPool(GlobalAvgPool)),
            ("logits", Layer::Dense(Dense { units: 10, activation: Activation::None })),
        ],
    )
}

/// A small residual net: stem conv, two residual blocks joined by Add (the second with a
/// strided 1x1 shortcut), a Concat of a pointwise and a depthwise branch, GAP, Dense.
pub fn mnist_resnet() -> ModelSpec {
    let node = |name: &str, layer: Layer, inputs: &[usize]| Node { name: name.into(), layer, inputs: inputs.to_vec() };
    let relu = Activation::Relu;
    let none = Activation::None;
    // Tensor ids: 0 input, k + 1 = node k.
    let nodes = vec![
        node("stem", conv(16, 3, 2, true, relu), &[0]),     // 1: 14x14x16
        node("block1_a", conv(16, 3, 1, true, relu), &[1]), // 2
        node("block1_b", conv(16, 3, 1, true, none), &[2]), // 3
        node("block1_add", Layer::Add(Add { activation: relu }), &[1, 3]), // 4
        node("block2_a", conv(32, 3, 2, true, relu), &[4]), // 5: 7x7x32
        node("block2_b", conv(32, 3, 1, true, none), &[5]), // 6
        node("block2_short", conv(32, 1, 2, true, none), &[4]), // 7
        node("block2_add", Layer::Add(Add { activation: relu }), &[6, 7]), // 8
        node("branch_pw", conv(16, 1, 1, true, relu), &[8]), // 9: 7x7x16
        node("branch_dw", depthwise(1), &[8]),              // 10: 7x7x32
        node("concat", Layer::Concat(Concat), &[9, 10]),    // 11: 7x7x48
        node("gap", Layer::GlobalAvgPool(GlobalAvgPool), &[11]), // 12
        node("logits", Layer::Dense(Dense { units: 10, activation: none }), &[12]),
    ];
    ModelSpec { name: "mnist-resnet".into(), input: [28, 28, 1], nodes }
}

/// The ResNet-8 of the MLPerf Tiny image-classification benchmark, on 32x32x3 inputs: a 3x3
/// conv with 16 filters, three residual stacks of 16, 32 and 64 filters (the second and third
/// downsample by 2 in their first conv and in a 1x1 shortcut conv without batch norm), global
/// average pooling (the benchmark's 8x8 average pool), dense 10.
pub fn cifar_resnet8() -> ModelSpec {
    let node = |name: &str, layer: Layer, inputs: &[usize]| Node { name: name.into(), layer, inputs: inputs.to_vec() };
    let relu = Activation::Relu;
    let none = Activation::None;
    let add = || Layer::Add(Add { activation: relu });
    // Tensor ids: 0 input, k + 1 = node k.
    let nodes = vec![
        node("stem", conv(16, 3, 1, true, relu), &[0]),          // 1: 32x32x16
        node("stack1_a", conv(16, 3, 1, true, relu), &[1]),      // 2
        node("stack1_b", conv(16, 3, 1, true, none), &[2]),      // 3
        node("stack1_add", add(), &[1, 3]),                      // 4
        node("stack2_a", conv(32, 3, 2, true, relu), &[4]),      // 5: 16x16x32
        node("stack2_b", conv(32, 3, 1, true, none), &[5]),      // 6
        node("stack2_short", conv(32, 1, 2, false, none), &[4]), // 7
        node("stack2_add", add(), &[7, 6]),                      // 8
        node("stack3_a", conv(64, 3, 2, true, relu), &[8]),      // 9: 8x8x64
        node("stack3_b", conv(64, 3, 1, true, none), &[9]),      // 10
        node("stack3_short", conv(64, 1, 2, false, none), &[8]), // 11
        node("stack3_add", add(), &[11, 10]),                    // 12
        node("gap", Layer::GlobalAvgPool(GlobalAvgPool), &[12]), // 13
        node("logits", Layer::Dense(Dense { units: 10, activation: none }), &[13]),
    ];
    ModelSpec { name: "cifar-resnet8".into(), input: [32, 32, 3], nodes }
}

impl ModelSpec {
    /// TensorFlow Model Optimization's QAT example: Conv2D 12 3x3 valid + ReLU -> MaxPool 2x2
    /// -> Flatten -> Dense 10 on 28x28x1 inputs.
    pub fn mnist_cnn() -> ModelSpec {
        mnist_cnn()
    }

    /// The built-in model `name`, or an error listing them.
    pub fn builtin(name: &str) -> Result<ModelSpec> {
        by_name(name).ok_or_else(|| {
            QatError::Invalid(format!(
                "unknown model {name:?}; built-in models: {} (or a .toml/.json spec file)",
                BUILTINS.join(", ")
            ))
        })
    }
}
