//! A data set resident on the GPU: images packed 4 bytes per u32, labels one per word, and the
//! per-channel normalization the gather applies. Batches are gathered from it by `ops::gather`
//! through an order buffer.

use crate::data::dataset::Split;
use crate::gpu::Gpu;
use qat_int8::InputNorm;

/// A data split uploaded once: u8 images and u32 labels on the GPU, gathered into batches by gather/batch.wgsl.
pub struct GpuDataset {
    /// Images as u8, packed four per u32.
    pub images: wgpu::Buffer,
    /// Labels, one u32 per sample.
    pub labels: wgpu::Buffer,
    /// mean\[c\] at word c, std\[c\] at word channels + c.
    pub norm: wgpu::Buffer,
    /// Samples.
    pub count: usize,
    /// Image shape [h, w, c].
    pub shape: [u32; 3],
    /// Bytes per sample (h * w * c).
    pub pixels: usize,
}

impl GpuDataset {
    /// Uploads `split` (images of shape `shape`), fed through `norm`.
    pub fn upload(gpu: &Gpu, split: &Split, shape: [u32; 3], norm: &InputNorm) -> GpuDataset {
        let pixels = shape.iter().map(|&d| d as usize).product();
        let mut bytes = split.images.clone();
        bytes.resize(bytes.len().div_ceil(4) * 4, 0);
        let words: Vec<u32> = bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let labels: Vec<u32> = split.labels.iter().map(|&l| l as u32).collect();
        let norm_words: Vec<f32> = norm.mean.iter().chain(&norm.std).copied().collect();
        GpuDataset {
            images: gpu.upload("dataset images", &words),
            labels: gpu.upload("dataset labels", &labels),
            norm: gpu.upload("dataset normalization", &norm_words),
            count: split.count,
            shape,
            pixels,
        }
    }
}
