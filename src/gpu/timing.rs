//! Per-dispatch GPU times from timestamp queries, where the adapter has them (`qat bench`'s
//! kernel profile). Each dispatch runs in a compute pass of its own with a timestamp at its
//! beginning and end, all in one submit, so the times are the device's, without per-submit
//! overhead (the barriers between passes are the same ones the step has between dependent
//! dispatches).

use crate::gpu::{dispatch::Dispatch, Gpu};
use crate::{QatError, Result};

/// Milliseconds of each dispatch, in order; `None` when the device has no timestamp queries.
pub fn dispatch_times(gpu: &Gpu, dispatches: &[Dispatch]) -> Result<Option<Vec<f64>>> {
    if !gpu.features.contains(wgpu::Features::TIMESTAMP_QUERY) {
        return Ok(None);
    }
    let period_ns = gpu.queue.get_timestamp_period() as f64;
    let mut out = Vec::with_capacity(dispatches.len());
    // A query set holds at most 4096 queries: two per dispatch.
    for chunk in dispatches.chunks(2048) {
        let count = 2 * chunk.len() as u32;
        let queries = gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("dispatch times"),
            ty: wgpu::QueryType::Timestamp,
            count,
        });
        gpu.counters.buffer(8 * count as u64);
        let resolved = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("dispatch times"),
            size: 8 * count as u64,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        for (i, d) in chunk.iter().enumerate() {
            let writes = wgpu::ComputePassTimestampWrites {
                query_set: &queries,
                beginning_of_pass_write_index: Some(2 * i as u32),
                end_of_pass_write_index: Some(2 * i as u32 + 1),
            };
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(d.label),
                timestamp_writes: Some(writes),
            });
            d.encode_into(&mut pass);
        }
        encoder.resolve_query_set(&queries, 0..count, &resolved, 0);
        gpu.submit(encoder);
        // Little-endian u64 ticks, read as pairs of 32-bit words.
        let words: Vec<u32> = gpu.read(&resolved, 2 * count as usize)?;
        let ticks: Vec<u64> = words.chunks(2).map(|w| w[0] as u64 | (w[1] as u64) << 32).collect();
        for pair in ticks.chunks(2) {
            let (start, end) = (pair[0], pair[1]);
            if end < start {
                return Err(QatError::gpu("timing dispatches", "a timestamp went backwards"));
            }
            out.push((end - start) as f64 * period_ns / 1e6);
        }
    }
    Ok(Some(out))
}
