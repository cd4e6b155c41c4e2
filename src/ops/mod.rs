//! One file per op: its `#[repr(C)]` uniform struct (checked field by field against the WGSL by
//! a test, `gpu::uniform`), its
//! shape math, and the host code that records its kernels as `Dispatch`es. CPU twins of every
//! kernel live in `reference::f32`.

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
pub mod loss;
pub mod matmul;
pub mod max_pool;
pub mod observer;
pub mod reduce;
pub mod relu;

use crate::gpu::uniform::{Field, Uniform};

/// The Rust side of a shader's uniforms: its fields (`gpu::uniform`) and the struct's size.
pub struct UniformLayout {
    pub fields: fn() -> Vec<Field>,
    pub size: usize,
}

fn layout<T: Uniform>() -> UniformLayout {
    UniformLayout { fields: T::fields, size: std::mem::size_of::<T>() }
}

/// For every registered shader: the Rust struct bound at binding 0 (its parameters) and, for
/// the kernels that read the per-step uniform, the one at binding 1 (`adam::StepUniform`).
pub fn uniform_layouts() -> Vec<(&'static str, UniformLayout, Option<UniformLayout>)> {
    let step = || Some(layout::<adam::StepUniform>());
    vec![
        ("conv2d/forward", layout::<conv2d::Conv2dParams>(), None),
        ("conv2d/backward_input", layout::<conv2d::Conv2dParams>(), None),
        ("conv2d/backward_weight", layout::<conv2d::Conv2dParams>(), None),
        ("matmul/strided", layout::<matmul::MatmulParams>(), None),
        ("matmul/row_major_b_vec4", layout::<matmul::MatmulParams>(), None),
        ("reduce/column_sum", layout::<reduce::ColumnSumParams>(), None),
        ("relu/forward", layout::<relu::ReluParams>(), None),
        ("relu/backward", layout::<relu::ReluParams>(), None),
        ("max_pool/forward", layout::<max_pool::MaxPoolParams>(), None),
        ("max_pool/backward", layout::<max_pool::MaxPoolParams>(), None),
        ("loss/softmax_cross_entropy", layout::<loss::LossParams>(), None),
        ("loss/accumulate", layout::<loss::AccumulateParams>(), step()),
        ("fake_quant/forward", layout::<fake_quant::FakeQuantParams>(), None),
        ("fake_quant/backward", layout::<fake_quant::FakeQuantParams>(), None),
        ("observer/activation_range", layout::<observer::ActivationRangeParams>(), None),
        ("observer/weight_range", layout::<observer::WeightRangeParams>(), None),
        ("adam/update", layout::<adam::AdamParams>(), step()),
        ("gather/batch", layout::<gather::GatherParams>(), step()),
        ("depthwise/forward", layout::<conv2d::Conv2dParams>(), None),
        ("depthwise/backward_input", layout::<conv2d::Conv2dParams>(), None),
        ("depthwise/backward_weight", layout::<conv2d::Conv2dParams>(), None),
        ("avg_pool/forward", layout::<avg_pool::AvgPoolParams>(), None),
        ("avg_pool/backward", layout::<avg_pool::AvgPoolParams>(), None),
        ("global_avg_pool/forward", layout::<global_avg_pool::GlobalAvgPoolParams>(), None),
        ("global_avg_pool/backward", layout::<global_avg_pool::GlobalAvgPoolParams>(), None),
        ("elementwise/add", layout::<elementwise::AddParams>(), None),
        ("elementwise/channel_scale", layout::<elementwise::ChannelScaleParams>(), None),
        ("concat/forward", layout::<concat::ConcatParams>(), None),
        ("concat/backward", layout::<concat::ConcatParams>(), None),
        ("batch_norm/statistics", layout::<batch_norm::StatisticsParams>(), None),
        ("batch_norm/forward", layout::<batch_norm::NormalizeParams>(), None),
        ("batch_norm/backward_affine", layout::<batch_norm::AffineGradParams>(), None),
        ("batch_norm/backward_input", layout::<batch_norm::InputGradParams>(), None),
        ("batch_norm/update_moving", layout::<batch_norm::MovingParams>(), None),
        ("batch_norm/fold_scale", layout::<batch_norm::FoldParams>(), None),
    ]
}
