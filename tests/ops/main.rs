//! Every WGSL kernel, one file per op (named as its folder under `shaders/`, its module under
//! `ops` and its CPU twin `ops::<op>::twin`): the kernel against its CPU twin on random
//! shapes and inputs, and every backward kernel against central finite differences of the
//! forward (the CPU twin, loss accumulated in f64; the loss is L = sum_i r_i y_i for a fixed
//! random r, so dL/dy = r is what each backward kernel receives).
//!
//! Tolerances: sums of k products are compared at 32 eps sqrt(k) relative (ruy-style, `sum_tol`);
//! elementwise results, copies and integer indices must match exactly.

#[path = "../common/mod.rs"]
mod common;

mod adam;
mod avg_pool;
mod batch_norm;
mod concat;
mod conv2d;
mod dense;
mod depthwise;
mod dispatch;
mod elementwise;
mod fake_quant;
mod gather;
mod global_avg_pool;
mod int8;
mod loss;
mod matmul;
mod max_pool;
mod observer;
mod reduce;
mod relu;

/// What every op's tests use.
mod prelude {
    /// Explicit padding [top, bottom, left, right].
    pub fn pads([top, bottom, left, right]: [u32; 4]) -> Padding {
        Padding::Explicit(Pads { top, bottom, left, right })
    }
    /// Valid, same or random explicit padding (each side below the kernel).
    pub fn any_padding(rng: &mut Rng, [kh, kw]: [u32; 2]) -> Padding {
        match rng.below(3) {
            0 => Padding::Valid,
            1 => Padding::Same,
            _ => pads([
                rng.below(kh as usize) as u32,
                rng.below(kh as usize) as u32,
                rng.below(kw as usize) as u32,
                rng.below(kw as usize) as u32,
            ]),
        }
    }
    pub use crate::common::{assert_close, check_fd, dot, gpu, random, read, run, sum_tol};
    pub use qat_int8::model::InputNorm;
    pub use qat_int8::quant::fake_quant::{nudge, Grid};
    pub use qat_int8::shape::{Padding, Pads};
    pub use wgpu_qat::data::rng::Rng;
    pub use wgpu_qat::gpu::Strategy;
    pub use wgpu_qat::ops::adam::{AdamConfig, AdamParams, StepUniform};
    pub use wgpu_qat::ops::avg_pool::AvgPoolParams;
    pub use wgpu_qat::ops::batch_norm::{BatchNorm, Statistics, MOMENTUM};
    pub use wgpu_qat::ops::concat::ConcatParams;
    pub use wgpu_qat::ops::conv2d::Conv2dParams;
    pub use wgpu_qat::ops::dense::DenseShape;
    pub use wgpu_qat::ops::depthwise::Depthwise;
    pub use wgpu_qat::ops::elementwise::{AccumulateParams, AddParams, ChannelScaleParams};
    pub use wgpu_qat::ops::fake_quant::{FakeQuantParams, MarginParams};
    pub use wgpu_qat::ops::gather::{Augment, GatherParams};
    pub use wgpu_qat::ops::global_avg_pool::GlobalAvgPoolParams;
    pub use wgpu_qat::ops::loss::{explode_limit, Health, LossParams, Totals, TOTALS_WORDS};
    pub use wgpu_qat::ops::matmul::MatmulParams;
    pub use wgpu_qat::ops::max_pool::MaxPoolParams;
    pub use wgpu_qat::ops::observer::{ActivationRangeParams, BiasRoomParams, RangeMode, WeightRangeParams};
    pub use wgpu_qat::ops::reduce::ColumnSumParams;
    pub use wgpu_qat::ops::relu::ReluParams;
    pub use wgpu_qat::ops::{
        adam, avg_pool, batch_norm, concat, conv2d, depthwise, elementwise, fake_quant, gather, global_avg_pool, loss,
        matmul, max_pool, observer, reduce, relu,
    };
}
