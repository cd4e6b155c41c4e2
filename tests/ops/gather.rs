//! The batch gather kernel (u8 images to normalized f32 batches) against its CPU twin.

use crate::prelude::*;

#[test]
fn gather_batch_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(18);
    let (count, pixels, batch) = (37usize, 15usize, 8usize);
    let split = crate::common::synthetic_split(count, pixels, 3);
    let ds = wgpu_qat::data::gpu::GpuDataset::upload(gpu, &split, pixels);
    let mut order: Vec<u32> = (0..count as u32).collect();
    rng.shuffle(&mut order);
    let step = wgpu_qat::gpu::buffers::uniform(gpu, "step", &StepUniform::new(5, 1, 0.0, 1));
    let (x, y) = (gpu.storage("x", batch * pixels), gpu.storage("y", batch));
    run(
        gpu,
        GatherParams::new(batch as u32, pixels as u32)
            .dispatch(gpu, &step, &ds.images, &ds.labels, &gpu.upload("order", &order), &x, &y)
            .unwrap(),
    );
    let (cx, cy) = cpu::gather_batch(&split.images, &split.labels, pixels, &order, 5, batch);
    assert_close("gather images", &read(gpu, &x, batch * pixels), &cx, 1e-7);
    assert_eq!(gpu.read::<u32>(&y, batch).unwrap(), cy);
}
