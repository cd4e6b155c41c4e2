//! The adapter's limits against a model, before any GPU work: every buffer a recorded step
//! creates for a layer (its input, output and their gradients at the batch size, its weights)
//! must fit the adapter's `max_storage_buffer_binding_size` and `max_buffer_size`. A layer that
//! does not fit is named with the bytes it needs, instead of a bare validation error from the
//! driver half-way through recording.
//!
//! A batch whose buffers do not fit is split into micro-batches (`micro_batches`: the fewest
//! that fit, each step then accumulating their gradients).
//!
//! `check_step_buffers` then proves it exactly, before the first step: it records each plan a
//! run will replay in the GPU's sizing mode (`gpu::ledger`), so every buffer a step makes
//! (forward, backward, partial sums, the batch, the loss) is checked against the adapter's
//! binding limit and none is made; an error names the layer and the buffer.
//!
//! Dispatch sizes need no check of their own: kernels fold their workgroups into two dimensions
//! of up to 65,535 each (`gpu::Grid`), so a dispatch over a buffer that fits the binding limit
//! always fits too (`Dispatch::new` still refuses a grid over the adapter's limit).

use crate::gpu::Gpu;
use crate::model::spec::ModelSpec;
use crate::ops::gather::GpuDataset;
use crate::train::network::Network;
use crate::train::plan::Plan;
use crate::train::record::PlanOptions;
use crate::{QatError, Result};
use qat_int8::shape::elements;

/// Checks, before any training, that the int8 model `spec` exports to fits the interpreter's
/// budget (`qat_int8::work`, with `QAT_MAX_MODEL_*` from the environment), which the export
/// enforces: a run is never trained only to be refused at the end.
pub fn check_int8_budget(spec: &ModelSpec) -> Result<()> {
    let mut shapes = vec![spec.input];
    shapes.extend(spec.shapes()?);
    let ops: Vec<_> = spec.nodes.iter().map(|n| (n.layer.shape_op(), n.inputs.clone())).collect();
    let usage = qat_int8::ops::usage(&shapes, &ops);
    qat_int8::work::check(&usage, &qat_int8::limits::InterpreterLimits::from_env()).map_err(|e| {
        QatError::Invalid(format!(
            "model {}: its int8 model would be refused when written, so it is not trained: {e}",
            spec.name
        ))
    })
}

/// Bytes of the largest buffer a step at `batch` creates for each layer: (layer index, bytes).
fn layer_bytes(spec: &ModelSpec, batch: u32) -> Result<Vec<(usize, u64)>> {
    let shapes = spec.shapes()?;
    let batch = batch.max(1) as u64;
    let input_bytes = batch * elements(spec.input) * 4;
    Ok(spec
        .nodes
        .iter()
        .enumerate()
        .map(|(k, node)| {
            let input = spec.tensor_shape(&shapes, node.inputs[0]);
            let tensors = batch * elements(input).max(elements(shapes[k])) * 4;
            let weights = node.layer.kind().weights(input).map_or(0, |g| g.weight_len as u64 * 4);
            (k, tensors.max(weights).max(input_bytes))
        })
        .collect())
}

/// The binding limit that applies: the smaller of the binding and buffer size limits.
fn buffer_limit(limits: &wgpu::Limits) -> u64 {
    limits.max_storage_buffer_binding_size.min(limits.max_buffer_size)
}

/// Checks that training `spec` at `batch` fits the adapter; the error names the layer.
pub fn check_device_limits(limits: &wgpu::Limits, spec: &ModelSpec, batch: u32) -> Result<()> {
    let limit = buffer_limit(limits);
    for (k, bytes) in layer_bytes(spec, batch)? {
        if bytes > limit {
            let node = &spec.nodes[k];
            return Err(QatError::Shape {
                layer: k,
                op: node.layer.op_name(),
                detail: format!(
                    "{:?}: at batch {batch} it needs a GPU buffer of {bytes} bytes, more than this adapter's limit of {limit} (max_storage_buffer_binding_size); {}",
                    node.name,
                    if batch > 1 { "use a smaller batch or a smaller layer" } else { "even one image does not fit: use a smaller layer or input" }
                ),
            });
        }
    }
    Ok(())
}

/// The largest batch (at most `wanted`) whose buffers all fit the adapter; at least 1.
pub fn largest_batch(limits: &wgpu::Limits, spec: &ModelSpec, wanted: u32) -> Result<u32> {
    let per_image = layer_bytes(spec, 1)?.into_iter().map(|(_, b)| b).max().unwrap_or(1).max(1);
    let fits = (buffer_limit(limits) / per_image).clamp(1, u32::MAX as u64) as u32;
    Ok(wanted.min(fits).max(1))
}

/// The fewest micro-batches (a divisor of `batch`) whose samples' buffers all fit the adapter:
/// 1 when the whole batch fits. A model whose layers do not fit even one image is refused as
/// `check_device_limits` refuses it at batch 1, naming the layer. The estimate is the largest
/// tensor or weight of each layer (`layer_bytes`); `check_step_buffers` then proves the split.
pub fn micro_batches(limits: &wgpu::Limits, spec: &ModelSpec, batch: u32) -> Result<u32> {
    check_device_limits(limits, spec, 1)?;
    let limit = buffer_limit(limits);
    for k in (1..=batch.max(1)).filter(|&k| batch.max(1).is_multiple_of(k)) {
        if layer_bytes(spec, batch.max(1) / k)?.iter().all(|&(_, bytes)| bytes <= limit) {
            return Ok(k);
        }
    }
    Ok(batch.max(1))
}

/// Records every plan of `plans` (each a step over `data` through an order of `order_len`
/// entries) in sizing mode: an error names the first buffer over the adapter's limit and its
/// layer. Returns the bytes the largest plan's buffers take.
pub fn check_step_buffers(
    gpu: &Gpu,
    net: &Network,
    data: &GpuDataset,
    order_len: usize,
    plans: &[PlanOptions],
) -> Result<u64> {
    let mut largest = 0;
    for opts in plans {
        let ((), bytes) = gpu.sizing(|| Plan::build(gpu, net, data, order_len, *opts).map(drop))?;
        largest = largest.max(bytes);
    }
    Ok(largest)
}
