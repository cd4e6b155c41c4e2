//! One file per op: its `#[repr(C)]` uniform struct (checked against the WGSL by a test), its
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
pub mod loss;
pub mod matmul;
pub mod observer;
pub mod pool;
pub mod reduce;
pub mod relu;

/// (shader, size of the Rust uniform struct bound at binding 0) for every registered shader.
pub fn uniform_sizes() -> Vec<(&'static str, usize)> {
    use std::mem::size_of;
    vec![
        ("conv2d/forward", size_of::<conv2d::Conv2dParams>()),
        ("conv2d/backward_input", size_of::<conv2d::Conv2dParams>()),
        ("conv2d/backward_weight", size_of::<conv2d::Conv2dParams>()),
        ("matmul/strided", size_of::<matmul::MatmulParams>()),
        ("matmul/row_major_b_vec4", size_of::<matmul::MatmulParams>()),
        ("reduce/column_sum", size_of::<reduce::ColumnSumParams>()),
        ("relu/forward", size_of::<relu::ReluParams>()),
        ("relu/backward", size_of::<relu::ReluParams>()),
        ("pool/max_forward", size_of::<pool::MaxPoolParams>()),
        ("pool/max_backward", size_of::<pool::MaxPoolParams>()),
        ("loss/softmax_cross_entropy", size_of::<loss::LossParams>()),
        ("loss/accumulate", size_of::<loss::AccumulateParams>()),
        ("fake_quant/forward", size_of::<fake_quant::FakeQuantParams>()),
        ("fake_quant/backward", size_of::<fake_quant::FakeQuantParams>()),
        ("observer/activation_range", size_of::<observer::ActivationRangeParams>()),
        ("observer/weight_range", size_of::<observer::WeightRangeParams>()),
        ("optim/adam", size_of::<adam::AdamParams>()),
        ("data/gather_batch", size_of::<gather::GatherParams>()),
        ("depthwise/forward", size_of::<conv2d::Conv2dParams>()),
        ("depthwise/backward_input", size_of::<conv2d::Conv2dParams>()),
        ("depthwise/backward_weight", size_of::<conv2d::Conv2dParams>()),
        ("pool/avg_forward", size_of::<avg_pool::AvgPoolParams>()),
        ("pool/avg_backward", size_of::<avg_pool::AvgPoolParams>()),
        ("pool/global_avg_forward", size_of::<avg_pool::GlobalAvgPoolParams>()),
        ("pool/global_avg_backward", size_of::<avg_pool::GlobalAvgPoolParams>()),
        ("elementwise/add", size_of::<elementwise::AddParams>()),
        ("elementwise/channel_scale", size_of::<elementwise::ChannelScaleParams>()),
        ("concat/forward", size_of::<concat::ConcatParams>()),
        ("concat/backward", size_of::<concat::ConcatParams>()),
        ("batch_norm/statistics", size_of::<batch_norm::StatisticsParams>()),
        ("batch_norm/forward", size_of::<batch_norm::NormalizeParams>()),
        ("batch_norm/backward_affine", size_of::<batch_norm::AffineGradParams>()),
        ("batch_norm/backward_input", size_of::<batch_norm::InputGradParams>()),
        ("batch_norm/update_moving", size_of::<batch_norm::MovingParams>()),
        ("batch_norm/fold_scale", size_of::<batch_norm::FoldParams>()),
    ]
}
