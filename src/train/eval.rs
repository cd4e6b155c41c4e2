//! GPU evaluation: logits of a whole data set through a float or fake-quant forward plan.

use crate::gpu::Gpu;
use crate::ops::gather::GpuDataset;
use crate::train::network::Network;
use crate::train::plan::Plan;
use crate::train::record::PlanOptions;
use crate::train::report::EvalResult;
use crate::Result;

/// Index of the first maximal value.
pub fn argmax<T: PartialOrd + Copy>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best
}

/// Accuracy of row-major logits against labels.
pub fn accuracy<T: PartialOrd + Copy>(logits: &[T], classes: usize, labels: &[u8]) -> f64 {
    let correct = logits.chunks(classes).zip(labels).filter(|(row, &l)| argmax(row) == l as usize).count();
    correct as f64 / labels.len().max(1) as f64
}

/// Runs the forward pass over all of `data` in batches of `batch` (the last batch padded).
pub fn evaluate(
    gpu: &Gpu,
    net: &Network,
    data: &GpuDataset,
    labels: &[u8],
    qat: bool,
    batch: u32,
    bits: u32,
) -> Result<EvalResult> {
    let batch = crate::train::preflight::largest_batch(&gpu.limits, &net.spec, batch.min(data.count.max(1) as u32))?;
    let batches = data.count.div_ceil(batch as usize);
    let order_len = batches * batch as usize;
    let plan = Plan::build(gpu, net, data, order_len, PlanOptions::evaluation(batch, qat, bits))?;
    let order: Vec<u32> = (0..order_len).map(|i| (i % data.count.max(1)) as u32).collect();
    gpu.queue.write_buffer(&plan.order, 0, bytemuck::cast_slice(&order));
    let classes = plan.classes as usize;
    let mut logits = Vec::with_capacity(order_len * classes);
    for b in 0..batches {
        plan.run(gpu, (b * batch as usize) as u32, 1, 0.0, 1)?;
        logits.extend(gpu.read::<f32>(&plan.logits, batch as usize * classes)?);
    }
    logits.truncate(data.count * classes);
    let accuracy = accuracy(&logits, classes, labels);
    Ok(EvalResult { logits, classes, accuracy })
}
