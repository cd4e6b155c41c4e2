//! One file per op, named as its folder under `shaders/`: its `#[repr(C)]` uniform struct
//! (checked field by field against the WGSL by a test, `gpu::uniform`), its shape math, the
//! host code that records its kernels as `Dispatch`es, and its plain-loop CPU twin
//! (`<op>::twin`). Each op declares
//! its kernels as typed handles (`<op>::KERNELS`); `shaders` below gathers them.

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
pub mod yardstick;

use crate::gpu::shaders::Shader;

/// Every kernel of every op, as the ops declare them (`<op>::KERNELS`): a GPU-free test
/// validates each with naga and compares its uniform struct and bindings with its declaration.
pub fn shaders() -> Vec<&'static Shader> {
    [
        adam::KERNELS,
        avg_pool::KERNELS,
        batch_norm::KERNELS,
        concat::KERNELS,
        conv2d::KERNELS,
        depthwise::KERNELS,
        elementwise::KERNELS,
        fake_quant::KERNELS,
        gather::KERNELS,
        global_avg_pool::KERNELS,
        loss::KERNELS,
        matmul::KERNELS,
        max_pool::KERNELS,
        observer::KERNELS,
        reduce::KERNELS,
        relu::KERNELS,
        yardstick::KERNELS,
    ]
    .concat()
}
