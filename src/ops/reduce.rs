//! Column sums of a row-major matrix (bias gradients, partial sums). A tall matrix is summed in
//! two stages, blocks of rows first (reduce/column_sum_blocks.wgsl, many workgroups per column)
//! and then the blocks' sums, so a GPU is not left with one workgroup per column; the order of
//! the additions is fixed either way.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, Gpu};
use crate::Result;

/// Rows one workgroup of the first stage sums.
pub const BLOCK_ROWS: u32 = 4096;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of reduce/column_sum.wgsl and reduce/column_sum_blocks.wgsl.
pub struct ColumnSumParams {
    /// Rows.
    pub rows: u32,
    /// Columns.
    pub cols: u32,
    /// Rows per block of the first stage (unused by the final stage).
    pub block_rows: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: u32,
}

crate::uniform_fields!(ColumnSumParams: rows, cols, block_rows, _pad);

impl ColumnSumParams {
    /// Column sums of a [rows, cols] matrix.
    pub fn new(rows: u32, cols: u32) -> Self {
        ColumnSumParams { rows, cols, block_rows: BLOCK_ROWS, _pad: 0 }
    }
    /// Records sums\[c\] = the sum of column c of a: one dispatch, or for more than two blocks
    /// of rows the blocks' sums (into a buffer made here) and then their sums.
    pub fn dispatch(&self, gpu: &Gpu, a: &wgpu::Buffer, sums: &wgpu::Buffer) -> Result<Vec<Dispatch>> {
        let blocks = self.rows.div_ceil(BLOCK_ROWS);
        if blocks <= 2 {
            return Ok(vec![Dispatch::new(gpu, &COLUMN_SUM, self, &[a, sums], Grid::groups(self.cols as usize))?]);
        }
        let partial = gpu.storage("column sum blocks", (blocks * self.cols) as usize);
        let last = ColumnSumParams::new(blocks, self.cols);
        Ok(vec![
            Dispatch::new(gpu, &COLUMN_SUM_BLOCKS, self, &[a, &partial], Grid(self.cols, blocks, 1))?,
            Dispatch::new(gpu, &COLUMN_SUM, &last, &[&partial, sums], Grid::groups(self.cols as usize))?,
        ])
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `reduce/column_sum`: shaders/reduce/column_sum.wgsl.
#[rustfmt::skip]
pub static COLUMN_SUM: Kernel<ColumnSumParams> = crate::kernel!("reduce/column_sum", ColumnSumParams, [R, W]);
/// `reduce/column_sum_blocks`: shaders/reduce/column_sum_blocks.wgsl.
#[rustfmt::skip]
pub static COLUMN_SUM_BLOCKS: Kernel<ColumnSumParams> = crate::kernel!("reduce/column_sum_blocks", ColumnSumParams, [R, W]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&COLUMN_SUM.shader, &COLUMN_SUM_BLOCKS.shader];

/// Twin of the column-sum kernel.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    /// Twin of reduce/column_sum.wgsl.
    pub fn column_sum(rows: usize, cols: usize, a: &[f32]) -> Vec<f32> {
        (0..cols).map(|c| (0..rows).map(|r| a[r * cols + c]).sum()).collect()
    }
}
