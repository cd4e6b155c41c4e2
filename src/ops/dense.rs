//! Dense (fully connected) layer with weights `[out, in]` (TFLite's FULLY_CONNECTED layout),
//! expressed as strided matmuls: y = x W^T + b, dx = dy W, dW = dy^T x, db = column sums of dy.

use crate::gpu::{Dispatch, Gpu};
use crate::ops::{matmul::MatmulParams, reduce::ColumnSumParams};
use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenseShape {
    pub n: u32,
    pub inputs: u32,
    pub outputs: u32,
}

impl DenseShape {
    pub fn forward_params(&self) -> MatmulParams {
        let DenseShape { n, inputs, outputs } = *self;
        MatmulParams { m: n, n: outputs, k: inputs, has_bias: 1, a_sm: inputs, a_sk: 1, b_sk: 1, b_sn: inputs }
    }
    pub fn backward_input_params(&self) -> MatmulParams {
        let DenseShape { n, inputs, outputs } = *self;
        MatmulParams { m: n, n: inputs, k: outputs, has_bias: 0, a_sm: outputs, a_sk: 1, b_sk: inputs, b_sn: 1 }
    }
    pub fn backward_weight_params(&self) -> MatmulParams {
        let DenseShape { n, inputs, outputs } = *self;
        MatmulParams { m: outputs, n: inputs, k: n, has_bias: 0, a_sm: 1, a_sk: outputs, b_sk: inputs, b_sn: 1 }
    }
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
    pub fn backward_input(
        &self,
        gpu: &Gpu,
        dy: &wgpu::Buffer,
        w: &wgpu::Buffer,
        dx: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.backward_input_params().dispatch(gpu, dy, w, w, dx)
    }
    pub fn backward_weight(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dw: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.backward_weight_params().dispatch(gpu, dy, x, x, dw)
    }
    pub fn backward_bias(&self, gpu: &Gpu, dy: &wgpu::Buffer, db: &wgpu::Buffer) -> Result<Dispatch> {
        ColumnSumParams::new(self.n, self.outputs).dispatch(gpu, dy, db)
    }
}
