//! Batch assembly on the GPU from a resident u8 data set and an order buffer.

use crate::gpu::{Dispatch, Gpu, Grid, WORKGROUP_SIZE};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of gather/batch.wgsl.
pub struct GatherParams {
    /// Samples per batch.
    pub batch: u32,
    /// Pixels per sample.
    pub pixels: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(GatherParams: batch, pixels, _pad);

impl GatherParams {
    /// A gather of `batch` samples of `pixels` bytes.
    pub fn new(batch: u32, pixels: u32) -> Self {
        GatherParams { batch, pixels, _pad: [0; 2] }
    }
    #[allow(clippy::too_many_arguments)]
    /// Records the gather of the step's samples (by `order`, from the step uniform's `batch_start`) as f32 p / 255, and their labels.
    pub fn dispatch(
        &self,
        gpu: &Gpu,
        step: &wgpu::Buffer,
        images: &wgpu::Buffer,
        labels: &wgpu::Buffer,
        order: &wgpu::Buffer,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        Dispatch::new(
            gpu,
            "gather/batch",
            self,
            &[step, images, labels, order, x, y],
            Grid::items((self.batch * self.pixels) as usize, WORKGROUP_SIZE),
        )
    }
}

/// Twin of the batch gather kernel.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against (`reference::f32` gathers every op's twin).
pub mod twin {
    /// Twin of gather/batch.wgsl: batch of `batch` samples starting at `start` in `order`.
    pub fn gather_batch(
        images: &[u8],
        labels: &[u8],
        pixels: usize,
        order: &[u32],
        start: usize,
        batch: usize,
    ) -> (Vec<f32>, Vec<u32>) {
        let mut x = Vec::with_capacity(batch * pixels);
        let mut y = Vec::with_capacity(batch);
        for &s in &order[start..start + batch] {
            let s = s as usize;
            x.extend(images[s * pixels..(s + 1) * pixels].iter().map(|&p| p as f32 / 255.0));
            y.push(labels[s] as u32);
        }
        (x, y)
    }
}
