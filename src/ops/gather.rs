//! Batch assembly on the GPU from a resident u8 data set (`GpuDataset`, laid out as the gather
//! reads it) and an order buffer: normalization and, for training, random crop and flip.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, pipelines::Specialization, Gpu};
use crate::Result;
use qat_int8::model::InputNorm;

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
    /// Uploads `labels.len()` samples: `images` (u8, each of shape `shape`, back to back) and
    /// their labels, fed through `norm`.
    pub fn upload(gpu: &Gpu, images: &[u8], labels: &[u8], shape: [u32; 3], norm: &InputNorm) -> GpuDataset {
        let pixels = shape.iter().map(|&d| d as usize).product();
        let mut bytes = images.to_vec();
        bytes.resize(bytes.len().div_ceil(4) * 4, 0);
        let words: Vec<u32> = bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let words_of_labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        let norm_words: Vec<f32> = norm.mean.iter().chain(&norm.std).copied().collect();
        GpuDataset {
            images: gpu.upload("dataset images", &words),
            labels: gpu.upload("dataset labels", &words_of_labels),
            norm: gpu.upload("dataset normalization", &norm_words),
            count: labels.len(),
            shape,
            pixels,
        }
    }
}

/// Random augmentation of training batches (`qat train --augment crop,flip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Augment {
    /// Shift by up to this many pixels each way, zeros coming in (a random crop of the image
    /// padded by `crop_pad`); 0: none.
    pub crop_pad: u32,
    /// Mirror left-right with probability 1/2.
    pub flip: bool,
    /// Seeds the random bits (with the global step and the position in the batch).
    pub seed: u32,
}

impl Augment {
    /// The padding of `--augment crop` (CIFAR's usual 4 pixels on 32 x 32 images).
    pub const CROP_PAD: u32 = 4;
    /// Whether this changes any image.
    pub fn is_active(&self) -> bool {
        self.crop_pad > 0 || self.flip
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of gather/batch.wgsl.
pub struct GatherParams {
    /// Samples per batch.
    pub batch: u32,
    /// Bytes per sample (h * w * c).
    pub pixels: u32,
    /// Image height.
    pub height: u32,
    /// Image width.
    pub width: u32,
    /// Image channels.
    pub channels: u32,
    /// Largest shift of the random crop (0: none).
    pub pad: u32,
    /// 1: random left-right mirror.
    pub flip: u32,
    /// Seeds the augmentation.
    pub seed: u32,
    /// The first sample's position in the step's batch (a micro-batch's start; 0 for a whole
    /// batch): sample b is `order[batch_start + offset + b]`, augmented as that position.
    pub offset: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 3],
}

crate::uniform_fields!(GatherParams: batch, pixels, height, width, channels, pad, flip, seed, offset, _pad);

impl GatherParams {
    /// A gather of `batch` samples of shape `[h, w, c]`, augmented by `augment`.
    pub fn new(batch: u32, [height, width, channels]: [u32; 3], augment: Augment) -> Self {
        GatherParams {
            batch,
            pixels: height * width * channels,
            height,
            width,
            channels,
            pad: augment.crop_pad,
            flip: u32::from(augment.flip),
            seed: augment.seed,
            offset: 0,
            _pad: [0; 3],
        }
    }
    /// This gather for the micro-batch whose first sample is at `offset` in the step's batch.
    pub fn at(self, offset: u32) -> Self {
        GatherParams { offset, ..self }
    }
    /// Records the gather of the step's samples (by `order`, from the step uniform's
    /// `batch_start`) from `data`, normalized, and their labels.
    pub fn dispatch(
        &self,
        gpu: &Gpu,
        step: &wgpu::Buffer,
        data: &GpuDataset,
        order: &wgpu::Buffer,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let augment = self.pad > 0 || self.flip != 0;
        // As the kernel: a word of four pixels per lane where it can, else one pixel.
        let lanes = if !augment && self.pixels.is_multiple_of(4) {
            self.batch * self.pixels / 4
        } else {
            self.batch * self.pixels
        };
        let s = Specialization::default()
            .with("PIXELS", self.pixels)
            .with("CHANNELS", self.channels)
            .with("AUGMENT", u32::from(augment));
        Dispatch::specialized(
            gpu,
            &BATCH,
            &s,
            self,
            &[step, &data.images, &data.labels, order, &data.norm, x, y],
            Grid::items(lanes as usize, WORKGROUP_SIZE),
        )
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `gather/batch`: shaders/gather/batch.wgsl.
#[rustfmt::skip]
pub static BATCH: Kernel<GatherParams> = crate::kernel!("gather/batch", GatherParams, [U, R, R, R, R, W, W]; specialized ["PIXELS", "CHANNELS", "AUGMENT"]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&BATCH.shader];

/// Twin of the batch gather kernel.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use super::GatherParams;

    /// The kernel's integer hash.
    pub fn hash(v: u32) -> u32 {
        let s = v.wrapping_mul(747796405).wrapping_add(2891336453);
        let w = ((s >> ((s >> 28) + 4)) ^ s).wrapping_mul(277803737);
        (w >> 22) ^ w
    }

    /// Twin of gather/batch.wgsl: the batch of `p.batch` samples starting at `start + p.offset`
    /// in `order`, at global step `step`; `norm` holds the means then the standard deviations.
    pub fn gather_batch(
        p: &GatherParams,
        images: &[u8],
        labels: &[u8],
        norm: &[f32],
        order: &[u32],
        start: usize,
        step: u32,
    ) -> (Vec<f32>, Vec<u32>) {
        let (h, w, c) = (p.height as i64, p.width as i64, p.channels as usize);
        let pixels = p.pixels as usize;
        let mut x = Vec::with_capacity(p.batch as usize * pixels);
        let mut y = Vec::with_capacity(p.batch as usize);
        let first = start + p.offset as usize;
        for (b, &s) in order[first..first + p.batch as usize].iter().enumerate() {
            let img = &images[s as usize * pixels..(s as usize + 1) * pixels];
            let r = hash(hash(p.seed ^ hash(step)) ^ (p.offset + b as u32));
            let span = 2 * p.pad as i64 + 1;
            let (dx, dy) = ((r >> 1) as i64 % span - p.pad as i64, (r >> 12) as i64 % span - p.pad as i64);
            let mirror = p.flip != 0 && r & 1 == 1;
            for px in 0..pixels {
                let ch = px % c;
                let value = if p.pad == 0 && p.flip == 0 {
                    img[px]
                } else {
                    let (row, col) = ((px / c) as i64 / w, (px / c) as i64 % w);
                    let sx = if mirror { w - 1 - col } else { col } + dx;
                    let sy = row + dy;
                    if sx >= 0 && sy >= 0 && sx < w && sy < h {
                        img[((sy * w + sx) as usize) * c + ch]
                    } else {
                        0
                    }
                };
                x.push((value as f32 / 255.0 - norm[ch]) / norm[c + ch]);
            }
            y.push(labels[s as usize] as u32);
        }
        (x, y)
    }
}
