//! A data set resident on the GPU: images packed 4 bytes per u32 word, labels one per word.
//! Batches are gathered from it by `ops::gather` through an order buffer.

use crate::data::mnist::Split;
use crate::gpu::Gpu;

/// A data split uploaded once: u8 images and u32 labels on the GPU, gathered into batches by gather/batch.wgsl.
pub struct GpuDataset {
    /// Images as u8, packed four per u32.
    pub images: wgpu::Buffer,
    /// Labels, one u32 per sample.
    pub labels: wgpu::Buffer,
    /// Samples.
    pub count: usize,
    /// Pixels per sample.
    pub pixels: usize,
}

impl GpuDataset {
    /// Uploads `split` (images of `pixels` bytes).
    pub fn upload(gpu: &Gpu, split: &Split, pixels: usize) -> GpuDataset {
        let mut bytes = split.images.clone();
        bytes.resize(bytes.len().div_ceil(4) * 4, 0);
        let words: Vec<u32> = bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let labels: Vec<u32> = split.labels.iter().map(|&l| l as u32).collect();
        GpuDataset {
            images: gpu.upload("dataset images", &words),
            labels: gpu.upload("dataset labels", &labels),
            count: split.count,
            pixels,
        }
    }
}
