//! Buffers: storage buffers for tensors, uploads, and a pool of staging buffers for readback
//! (reused by size, so repeated readbacks allocate nothing; a buffer is taken out of the pool
//! while a readback uses it, so concurrent readbacks never share one).

use crate::gpu::Gpu;
use crate::{QatError, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use wgpu::util::DeviceExt;

const STORAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

/// Storage buffers are whole vec4s: kernels that move four values per lane may read and write
/// the last partial vec4 (the padding is never read as data).
const ALIGN: u64 = 16;

/// The size to make a storage buffer of `size` bytes at: its own, or the minimal stand-in the
/// ledger asks for (over the binding limit, or sizing mode).
fn admitted(gpu: &Gpu, label: &str, size: u64) -> u64 {
    match gpu.ledger.admit(label, size, gpu.binding_limit()) {
        super::ledger::Admission::Make => size,
        super::ledger::Admission::StandIn => ALIGN,
    }
}

/// A zeroed storage buffer of `words` 32-bit words (at least one, as empty bindings are invalid),
/// padded to a multiple of 16 bytes.
pub fn storage(gpu: &Gpu, label: &str, words: usize) -> wgpu::Buffer {
    let size = (4 * words.max(1) as u64).next_multiple_of(ALIGN);
    let size = admitted(gpu, label, size);
    gpu.counters.buffer(size);
    gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size,
        usage: STORAGE,
        mapped_at_creation: false,
    })
}

/// A storage buffer initialised with `data`, zero-padded to a multiple of 16 bytes.
pub fn upload<T: bytemuck::Pod>(gpu: &Gpu, label: &str, data: &[T]) -> wgpu::Buffer {
    let bytes: &[u8] = bytemuck::cast_slice(data);
    let size = (bytes.len() as u64).next_multiple_of(ALIGN);
    if bytes.is_empty() || admitted(gpu, label, size) < size {
        return storage(gpu, label, 1);
    }
    let mut padded = bytes.to_vec();
    padded.resize((bytes.len() as u64).next_multiple_of(ALIGN) as usize, 0);
    gpu.counters.buffer(padded.len() as u64);
    gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: &padded,
        usage: STORAGE,
    })
}

/// A uniform buffer holding one `#[repr(C)]` parameter struct.
pub fn uniform<T: bytemuck::Pod>(gpu: &Gpu, label: &str, value: &T) -> wgpu::Buffer {
    gpu.counters.buffer(std::mem::size_of::<T>() as u64);
    gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::bytes_of(value),
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    })
}

/// Idle staging buffers for reading results back, by byte size.
#[derive(Default)]
pub struct ReadbackPool {
    idle: Mutex<HashMap<u64, Vec<wgpu::Buffer>>>,
}

impl ReadbackPool {
    /// Copies `words` values of `src` back to the host (a staging buffer from the pool).
    pub fn read<T: bytemuck::Pod>(&self, gpu: &Gpu, src: &wgpu::Buffer, words: usize) -> Result<Vec<T>> {
        if std::mem::size_of::<T>() != 4 {
            return Err(QatError::Invalid("readback works on 32-bit words".into()));
        }
        let bytes = 4 * words as u64;
        if bytes == 0 {
            return Ok(Vec::new());
        }
        if bytes > src.size() {
            return Err(QatError::Invalid(format!("readback of {bytes} bytes from a {}-byte buffer", src.size())));
        }
        let pooled = {
            let mut map = self.idle.lock().map_err(|_| QatError::gpu("reading back", "pool poisoned"))?;
            map.get_mut(&bytes).and_then(Vec::pop)
        };
        let staging = pooled.unwrap_or_else(|| {
            gpu.counters.buffer(bytes);
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("readback"),
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        });
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(src, 0, &staging, 0, bytes);
        gpu.submit(encoder);
        // The map completes as a future: the callback resolves a oneshot once the device has
        // been polled (`gpu.wait`), and a dropped callback resolves it as cancelled.
        let (tx, rx) = futures::channel::oneshot::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        gpu.wait()?;
        pollster::block_on(rx)
            .map_err(|_| QatError::gpu("reading back", "map callback never ran"))?
            .map_err(|e| QatError::gpu("mapping a readback buffer", e))?;
        let out = {
            let view = staging.get_mapped_range(..).map_err(|e| QatError::gpu("reading a mapped buffer", e))?;
            bytemuck::cast_slice::<u8, T>(&view).to_vec()
        };
        staging.unmap();
        if let Ok(mut map) = self.idle.lock() {
            map.entry(bytes).or_default().push(staging);
        }
        Ok(out)
    }
}
