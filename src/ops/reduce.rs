//! Column sums of a row-major matrix (bias gradients).

use crate::gpu::{Dispatch, Gpu, Grid};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ColumnSumParams {
    pub rows: u32,
    pub cols: u32,
    pub _pad: [u32; 2],
}

crate::uniform_fields!(ColumnSumParams: rows, cols, _pad);

impl ColumnSumParams {
    pub fn new(rows: u32, cols: u32) -> Self {
        ColumnSumParams { rows, cols, _pad: [0; 2] }
    }
    pub fn dispatch(&self, gpu: &Gpu, a: &wgpu::Buffer, sums: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "reduce/column_sum", self, &[a, sums], Grid::groups(self.cols as usize))
    }
}
