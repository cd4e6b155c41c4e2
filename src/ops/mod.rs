//! One file per op: its `#[repr(C)]` uniform struct (checked against the WGSL by a test), its
//! shape math, and the host code that records its kernels as `Dispatch`es. CPU twins of every
//! kernel live in `reference::f32`.

pub mod adam;
pub mod conv2d;
pub mod dense;
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
    ]
}
