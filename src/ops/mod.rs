//! One file per op, named as its folder under `shaders/`: its `#[repr(C)]` uniform struct
//! (checked field by field against the WGSL by a test, `gpu::uniform`), its shape math, the
//! host code that records its kernels as `Dispatch`es, and its plain-loop CPU twin
//! (`<op>::twin`, gathered in `twins` and re-exported as `reference::f32`). `SHADERS` below
//! registers every kernel.

pub mod adam;
pub mod avg_pool;
pub mod batch_norm;
pub mod concat;
pub mod conv2d;
pub mod dense;
pub mod depthwise;
pub mod elementwise;
pub mod fake_quant;
pub mod gather;
pub mod global_avg_pool;
pub mod int8;
pub mod loss;
pub mod matmul;
pub mod max_pool;
pub mod observer;
pub mod reduce;
pub mod relu;

/// Every op's CPU twin (`ops::<op>::twin`) in one namespace, re-exported as `reference::f32`.
pub mod twins {
    pub use super::adam::twin::*;
    pub use super::avg_pool::twin::*;
    pub use super::batch_norm::twin::*;
    pub use super::concat::twin::*;
    pub use super::conv2d::twin::*;
    pub use super::depthwise::twin::*;
    pub use super::elementwise::twin::*;
    pub use super::fake_quant::twin::*;
    pub use super::gather::twin::*;
    pub use super::global_avg_pool::twin::*;
    pub use super::int8::twin::*;
    pub use super::loss::twin::*;
    pub use super::matmul::twin::*;
    pub use super::max_pool::twin::*;
    pub use super::observer::twin::*;
    pub use super::reduce::twin::*;
    pub use super::relu::twin::*;
}

use crate::gpu::shaders::Shader;
use crate::shader;

/// Every kernel: `shader!(name, parameter struct, [buffers at bindings 1, 2, ...], snippets...)`
/// with R a read-only and W a read-write storage buffer and U the per-step uniform
/// (`adam::StepUniform`).
/// A GPU-free test compares each line with naga's reflection of the WGSL.
#[rustfmt::skip]
pub const SHADERS: &[Shader] = &[
    shader!("conv2d/forward", conv2d::Conv2dParams, [R, R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "O", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT", "RELU", "CAP"]),
    shader!("conv2d/weights_ko", conv2d::Conv2dParams, [R, W], "common/conv_params"),
    shader!("conv2d/backward_input", conv2d::Conv2dParams, [R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "O", "STRIDE"]),
    shader!("conv2d/backward_weight", conv2d::Conv2dParams, [R, R, W, W], "common/conv_params"; specialized ["KH", "KW", "C", "O", "STRIDE", "LANES"]),
    shader!("matmul/strided", matmul::MatmulParams, [R, R, R, W]),
    shader!("matmul/row_major_b_vec4", matmul::MatmulParams, [R, R, R, W]; specialized ["A_LAYOUT"]),
    shader!("matmul/row_major_bt_vec4", matmul::MatmulParams, [R, R, R, W]; specialized ["N"]),
    shader!("reduce/column_sum", reduce::ColumnSumParams, [R, W]),
    shader!("reduce/column_sum_blocks", reduce::ColumnSumParams, [R, W]),
    shader!("relu/forward", relu::ReluParams, [R, W]),
    shader!("relu/backward", relu::ReluParams, [R, R, W]),
    shader!("max_pool/forward", max_pool::MaxPoolParams, [R, W, W]),
    shader!("max_pool/backward", max_pool::MaxPoolParams, [R, R, W]),
    shader!("max_pool/forward_vec4", max_pool::MaxPoolParams, [R, W, W]; specialized ["C", "K", "STRIDE", "H", "W", "OH", "OW"]),
    shader!("max_pool/backward_vec4", max_pool::MaxPoolParams, [R, R, W]; specialized ["C", "K", "STRIDE", "H", "W", "OH", "OW"]),
    shader!("loss/softmax_cross_entropy", loss::LossParams, [R, R, W, W]),
    shader!("loss/accumulate", loss::AccumulateParams, [U, R, W]),
    shader!("fake_quant/forward", fake_quant::FakeQuantParams, [R, R, W], "fake_quant/nudge"; specialized ["CHANNELS", "INNER"]),
    shader!("fake_quant/backward", fake_quant::FakeQuantParams, [R, R, R, W], "fake_quant/nudge"; specialized ["CHANNELS", "INNER"]),
    shader!("fake_quant/requantized", fake_quant::FakeQuantParams, [R, R, R, W], "fake_quant/nudge"; specialized ["MARGINS"]),
    shader!("fake_quant/double_rounding_margin", fake_quant::MarginParams, [R, R, R, W], "fake_quant/nudge"),
    shader!("observer/batch_range", observer::ActivationRangeParams, [R, W]),
    shader!("observer/activation_range", observer::ActivationRangeParams, [R, W]),
    shader!("observer/weight_range", observer::WeightRangeParams, [R, W]),
    shader!("observer/bias_widened_range", observer::BiasRoomParams, [R, R, R, R, R, W], "fake_quant/nudge"),
    shader!("adam/update", adam::AdamParams, [U, R, W, W, W, W]),
    shader!("gather/batch", gather::GatherParams, [U, R, R, R, R, W, W]; specialized ["PIXELS", "CHANNELS", "AUGMENT"]),
    shader!("int8/requantize_each", int8::RequantizeEachParams, [R, R, R, W], "int8/requantize"),
    shader!("int8/requantize_each#native" from "int8/requantize_each", int8::RequantizeEachParams, [R, R, R, W], "int8/requantize_native"),
    shader!("int8/quantize", int8::QuantizeParams, [R, R, W], "int8/packed"),
    shader!("int8/conv2d", int8::WindowParams, [R, R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize", "int8/dot4_unpacked"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "O", "PAD_TOP", "PAD_LEFT"]),
    shader!("int8/conv2d#dot4" from "int8/conv2d", int8::WindowParams, [R, R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize", "int8/dot4_builtin"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "O", "PAD_TOP", "PAD_LEFT"]),
    shader!("int8/conv2d#native" from "int8/conv2d", int8::WindowParams, [R, R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize_native", "int8/dot4_unpacked"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "O", "PAD_TOP", "PAD_LEFT"]),
    shader!("int8/conv2d#native_dot4" from "int8/conv2d", int8::WindowParams, [R, R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize_native", "int8/dot4_builtin"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "O", "PAD_TOP", "PAD_LEFT"]),
    shader!("int8/depthwise", int8::WindowParams, [R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT"]),
    shader!("int8/depthwise#native" from "int8/depthwise", int8::WindowParams, [R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize_native"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT"]),
    shader!("int8/max_pool", int8::WindowParams, [R, W], "int8/window_params", "int8/packed"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW"]),
    shader!("int8/avg_pool", int8::WindowParams, [R, W], "int8/window_params", "int8/packed"),
    shader!("int8/fully_connected", int8::FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize", "int8/dot4_unpacked"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]),
    shader!("int8/fully_connected#dot4" from "int8/fully_connected", int8::FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize", "int8/dot4_builtin"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]),
    shader!("int8/fully_connected#native" from "int8/fully_connected", int8::FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize_native", "int8/dot4_unpacked"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]),
    shader!("int8/fully_connected#native_dot4" from "int8/fully_connected", int8::FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize_native", "int8/dot4_builtin"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]),
    shader!("int8/mean", int8::MeanParams, [R, W], "int8/packed", "int8/requantize"),
    shader!("int8/mean#native" from "int8/mean", int8::MeanParams, [R, W], "int8/packed", "int8/requantize_native"),
    shader!("int8/add", int8::AddParams, [R, R, W], "int8/packed", "int8/requantize"),
    shader!("int8/add#native" from "int8/add", int8::AddParams, [R, R, W], "int8/packed", "int8/requantize_native"),
    shader!("int8/concat", int8::ConcatParams, [R, R, W], "int8/packed"),
    shader!("depthwise/forward", conv2d::Conv2dParams, [R, R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE"]),
    shader!("depthwise/backward_input", conv2d::Conv2dParams, [R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE"]),
    shader!("depthwise/backward_weight", conv2d::Conv2dParams, [R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE", "LANES"]),
    shader!("depthwise/forward_vec4", conv2d::Conv2dParams, [R, R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE"]),
    shader!("depthwise/backward_input_vec4", conv2d::Conv2dParams, [R, R, W], "common/conv_params"; specialized ["KH", "KW", "C", "STRIDE"]),
    shader!("avg_pool/forward", avg_pool::AvgPoolParams, [R, W]),
    shader!("avg_pool/backward", avg_pool::AvgPoolParams, [R, W]),
    shader!("global_avg_pool/forward", global_avg_pool::GlobalAvgPoolParams, [R, W]),
    shader!("global_avg_pool/backward", global_avg_pool::GlobalAvgPoolParams, [R, W]),
    shader!("elementwise/add", elementwise::AddParams, [R, R, W]),
    shader!("elementwise/channel_scale", elementwise::ChannelScaleParams, [R, R, W], "common/channel_of"; specialized ["CHANNELS", "INNER"]),
    shader!("concat/forward", concat::ConcatParams, [R, W]),
    shader!("concat/backward", concat::ConcatParams, [R, W]),
    shader!("batch_norm/statistics", batch_norm::StatisticsParams, [R, W]),
    shader!("batch_norm/statistics_blocks", batch_norm::BlockParams, [R, R, W]),
    shader!("batch_norm/channel_sums", batch_norm::ChannelSumsParams, [R, R, R, W]; specialized ["CHANNELS"]),
    shader!("batch_norm/statistics_finish", batch_norm::BlockParams, [R, W]),
    shader!("batch_norm/backward_affine", batch_norm::AffineBlockParams, [R, R, R, W]),
    shader!("batch_norm/forward", batch_norm::NormalizeParams, [R, R, R, W], "common/channel_of"; specialized ["CHANNELS"]),
    shader!("batch_norm/backward_input", batch_norm::InputGradParams, [R, R, R, R, R, W], "common/channel_of"; specialized ["CHANNELS"]),
    shader!("batch_norm/update_moving", batch_norm::MovingParams, [R, W]),
    shader!("batch_norm/fold_scale", batch_norm::FoldParams, [R, R, W, W]),
    // The frozen benchmark yardstick (`bench`), kept in benches/ and never tuned.
    Shader {
        name: "yardstick/matmul",
        source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/yardstick.wgsl")),
        params: crate::gpu::shaders::UniformLayout::of::<crate::bench::YardstickParams>,
        buffers: &[crate::gpu::shaders::Access::R, crate::gpu::shaders::Access::R, crate::gpu::shaders::Access::W],
        overrides: &[],
    },
];
