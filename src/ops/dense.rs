//! Dense (fully connected) layer with weights `[out, in]` (TFLite's FULLY_CONNECTED layout),
//! expressed as strided matmuls: y = x W^T + b, dx = dy W, dW = dy^T x, db = column sums of dy.

use crate::gpu::{dispatch::Dispatch, Gpu};
use crate::ops::{matmul::MatmulParams, reduce::ColumnSumParams};
use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// The shape of a dense layer's matmuls: `n` rows of `inputs` times [outputs, inputs] weights.
pub struct DenseShape {
    /// Batch size.
    pub n: u32,
    /// Inputs per sample.
    pub inputs: u32,
    /// Outputs per sample.
    pub outputs: u32,
}

impl DenseShape {
    /// y [n, out] = x [n, in] w^T [in, out] + b.
    pub fn forward_params(&self) -> MatmulParams {
        let DenseShape { n, inputs, outputs } = *self;
        MatmulParams { m: n, n: outputs, k: inputs, has_bias: 1, a_sm: inputs, a_sk: 1, b_sk: 1, b_sn: inputs }
    }
    /// dx [n, in] = dy [n, out] w [out, in].
    pub fn backward_input_params(&self) -> MatmulParams {
        let DenseShape { n, inputs, outputs } = *self;
        MatmulParams { m: n, n: inputs, k: outputs, has_bias: 0, a_sm: outputs, a_sk: 1, b_sk: inputs, b_sn: 1 }
    }
    /// dw [out, in] = dy^T [out, n] x [n, in].
    pub fn backward_weight_params(&self) -> MatmulParams {
        let DenseShape { n, inputs, outputs } = *self;
        MatmulParams { m: outputs, n: inputs, k: n, has_bias: 0, a_sm: 1, a_sk: outputs, b_sk: inputs, b_sn: 1 }
    }
    /// Records y = x w^T + b.
    pub fn forward(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.forward_params().dispatch(gpu, x, w, b, y)
    }
    /// Records the kernel that computes the input gradient dx from dy and the weights.
    pub fn backward_input(
        &self,
        gpu: &Gpu,
        dy: &wgpu::Buffer,
        w: &wgpu::Buffer,
        dx: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.backward_input_params().dispatch(gpu, dy, w, w, dx)
    }
    /// Records the kernel that computes the weight gradient dw from x and dy.
    pub fn backward_weight(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dw: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.backward_weight_params().dispatch(gpu, dy, x, x, dw)
    }
    /// Records db = the column sums of dy.
    pub fn backward_bias(&self, gpu: &Gpu, dy: &wgpu::Buffer, db: &wgpu::Buffer) -> Result<Vec<Dispatch>> {
        ColumnSumParams::new(self.n, self.outputs).dispatch(gpu, dy, db)
    }
}
