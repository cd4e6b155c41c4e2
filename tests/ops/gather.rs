//! The batch gather kernel (u8 images to normalized f32 batches) against its CPU twin.

use crate::prelude::*;

/// Without augmentation: a sample size that is not a multiple of 4 (a lane per pixel), and
/// grey and RGB ones that are (a lane per word of four pixels), with per-channel normalization.
#[test]
fn gather_batch_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(18);
    for (shape, norm) in [
        ([3u32, 5, 1], InputNorm::unit(1)),
        ([4, 7, 1], InputNorm { mean: vec![0.13], std: vec![0.31] }),
        ([4, 4, 3], InputNorm { mean: vec![0.5, 0.25, 0.1], std: vec![0.2, 0.3, 0.7] }),
    ] {
        let (count, batch) = (37usize, 8usize);
        let pixels = shape.iter().product::<u32>() as usize;
        let split = crate::common::synthetic_split(count, pixels, 3);
        let words: Vec<f32> = norm.mean.iter().chain(&norm.std).copied().collect();
        let ds = wgpu_qat::ops::gather::GpuDataset::upload(gpu, &split.images, &split.labels, shape, &norm);
        let mut order: Vec<u32> = (0..count as u32).collect();
        rng.shuffle(&mut order);
        let step = wgpu_qat::gpu::buffers::uniform(gpu, "step", &StepUniform::new(5, 1, 0.0, 1));
        let (x, y) = (gpu.storage("x", batch * pixels), gpu.storage("y", batch));
        let p = GatherParams::new(batch as u32, shape, Augment::default());
        run(gpu, p.dispatch(gpu, &step, &ds, &gpu.upload("order", &order), &x, &y).unwrap());
        let (cx, cy) = gather::twin::gather_batch(&p, &split.images, &split.labels, &words, &order, 5, 1);
        assert_close(&format!("gather images {shape:?}"), &read(gpu, &x, batch * pixels), &cx, 1e-6);
        assert_eq!(gpu.read::<u32>(&y, batch).unwrap(), cy);
    }
}

/// RGB images with per-channel normalization, randomly cropped and flipped, over several steps
/// (the random bits depend on the step): the kernel and its twin pick the same shifts and
/// mirrors and give the same values.
#[test]
fn gather_normalizes_crops_and_flips_as_its_twin() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(19);
    let (count, shape, batch) = (23usize, [6u32, 7, 3], 9usize);
    let pixels = 6 * 7 * 3;
    let split = crate::common::synthetic_split(count, pixels, 4);
    let norm = InputNorm { mean: vec![0.5, 0.25, 0.1], std: vec![0.2, 0.3, 0.7] };
    let words: Vec<f32> = norm.mean.iter().chain(&norm.std).copied().collect();
    let ds = wgpu_qat::ops::gather::GpuDataset::upload(gpu, &split.images, &split.labels, shape, &norm);
    let mut order: Vec<u32> = (0..count as u32).collect();
    rng.shuffle(&mut order);
    let order_buf = gpu.upload("order", &order);
    let (x, y) = (gpu.storage("x", batch * pixels), gpu.storage("y", batch));
    let p = GatherParams::new(batch as u32, shape, Augment { crop_pad: 2, flip: true, seed: 77 });
    let mut flipped_or_shifted = 0;
    for step in 1..4u32 {
        let uniform = wgpu_qat::gpu::buffers::uniform(gpu, "step", &StepUniform::new(3, 1, 0.0, step));
        run(gpu, p.dispatch(gpu, &uniform, &ds, &order_buf, &x, &y).unwrap());
        let (cx, cy) = gather::twin::gather_batch(&p, &split.images, &split.labels, &words, &order, 3, step);
        assert_close("augmented gather", &read(gpu, &x, batch * pixels), &cx, 1e-6);
        assert_eq!(gpu.read::<u32>(&y, batch).unwrap(), cy);
        let plain = GatherParams::new(batch as u32, shape, Augment::default());
        let (px, _) = gather::twin::gather_batch(&plain, &split.images, &split.labels, &words, &order, 3, step);
        flipped_or_shifted +=
            (0..batch).filter(|b| cx[b * pixels..(b + 1) * pixels] != px[b * pixels..(b + 1) * pixels]).count();
    }
    // 27 samples: almost all are moved or mirrored (a sample is unchanged with chance 1/50).
    assert!(flipped_or_shifted >= 20, "only {flipped_or_shifted} of 27 samples were augmented");
}

/// A micro-batch (`GatherParams::at`) gathers, normalizes and augments exactly the samples at
/// its positions of the whole batch: the two halves of a step's batch, gathered apart, are the
/// whole batch gathered at once (so a split step sees the images an unsplit one does).
#[test]
fn micro_batches_gather_their_part_of_the_batch() {
    let Some(gpu) = gpu() else { return };
    let (count, shape, batch, first) = (23usize, [6u32, 5, 3], 8usize, 3usize);
    let pixels = 6 * 5 * 3;
    let split = crate::common::synthetic_split(count, pixels, 4);
    let norm = InputNorm { mean: vec![0.5, 0.25, 0.1], std: vec![0.2, 0.3, 0.7] };
    let words: Vec<f32> = norm.mean.iter().chain(&norm.std).copied().collect();
    let ds = wgpu_qat::ops::gather::GpuDataset::upload(gpu, &split.images, &split.labels, shape, &norm);
    let order: Vec<u32> = (0..count as u32).rev().collect();
    let order_buf = gpu.upload("order", &order);
    let uniform = wgpu_qat::gpu::buffers::uniform(gpu, "step", &StepUniform::new(first as u32, 1, 0.0, 2));
    for augment in [Augment::default(), Augment { crop_pad: 2, flip: true, seed: 5 }] {
        let whole = GatherParams::new(batch as u32, shape, augment);
        let (wx, wy) = gather::twin::gather_batch(&whole, &split.images, &split.labels, &words, &order, first, 2);
        let half = GatherParams::new(batch as u32 / 2, shape, augment);
        let (x, y) = (gpu.storage("x", batch / 2 * pixels), gpu.storage("y", batch / 2));
        for part in 0..2 {
            let p = half.at((part * batch / 2) as u32);
            run(gpu, p.dispatch(gpu, &uniform, &ds, &order_buf, &x, &y).unwrap());
            let (cx, cy) = gather::twin::gather_batch(&p, &split.images, &split.labels, &words, &order, first, 2);
            let span = part * batch / 2 * pixels..(part + 1) * batch / 2 * pixels;
            assert_eq!(cx, wx[span.clone()], "twin: micro-batch {part} of {augment:?}");
            assert_close("micro-batch gather", &read(gpu, &x, batch / 2 * pixels), &wx[span], 1e-6);
            assert_eq!(gpu.read::<u32>(&y, batch / 2).unwrap(), wy[part * batch / 2..(part + 1) * batch / 2]);
            assert_eq!(cy, wy[part * batch / 2..(part + 1) * batch / 2]);
        }
    }
}
