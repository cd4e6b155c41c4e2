//! Post-training quantization (PTQ): the float model's forward over calibration images records,
//! for the input and every tensor that fake quant would observe, the range of all values seen
//! (TFLite's min/max calibration); nothing is trained and nothing is fake-quantized. Batch norm
//! runs on its moving statistics and is folded at export as after QAT. The network then exports
//! like a trained one (`quantize`).

use crate::gpu::Gpu;
use crate::ops::gather::GpuDataset;
use crate::train::network::Network;
use crate::train::plan::Plan;
use crate::train::record::PlanOptions;
use crate::{QatError, Result};

/// Observes the ranges of `net` over the first `images` samples of `data`, `batch` at a time.
pub fn calibrate(gpu: &Gpu, net: &Network, data: &GpuDataset, images: usize, batch: u32) -> Result<()> {
    let images = images.min(data.count);
    if images == 0 {
        return Err(QatError::Invalid("calibration needs at least one image".into()));
    }
    let batch = crate::train::preflight::largest_batch(&gpu.limits, &net.spec, batch.min(images as u32))?;
    let batches = images.div_ceil(batch as usize);
    let order_len = batches * batch as usize;
    let opts = PlanOptions { calibrate: true, ..PlanOptions::evaluation(batch, false, 8) };
    let plan = Plan::build(gpu, net, data, order_len, opts)?;
    // The last batch is filled up with images already seen, which leaves every range as it is.
    let order: Vec<u32> = (0..order_len).map(|i| (i % images) as u32).collect();
    gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(&order));
    for b in 0..batches {
        plan.run(gpu, (b * batch as usize) as u32, 1, 0.0, 1)?;
    }
    gpu.wait()
}
