//! Column sums of a row-major matrix (bias gradients).

use crate::gpu::{Dispatch, Gpu, Grid};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of reduce/column_sum.wgsl.
pub struct ColumnSumParams {
    /// Rows.
    pub rows: u32,
    /// Columns.
    pub cols: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(ColumnSumParams: rows, cols, _pad);

impl ColumnSumParams {
    /// Column sums of a [rows, cols] matrix.
    pub fn new(rows: u32, cols: u32) -> Self {
        ColumnSumParams { rows, cols, _pad: [0; 2] }
    }
    /// Records sums\[c\] = the sum of column c of a.
    pub fn dispatch(&self, gpu: &Gpu, a: &wgpu::Buffer, sums: &wgpu::Buffer) -> Result<Dispatch> {
        Dispatch::new(gpu, "reduce/column_sum", self, &[a, sums], Grid::groups(self.cols as usize))
    }
}
