//! GPU access: adapter selection, the device and queue (`Gpu`), error capture, and the pieces
//! built on them (shader registry, pipeline cache, buffers, recorded dispatches).
//! Work functions take `&Gpu`; only `Gpu::new` touches adapters.

pub mod buffers;
pub mod dispatch;
pub mod ledger;
pub mod pipelines;
pub mod shaders;
pub mod timing;
pub mod uniform;

use dispatch::Dispatch;
use pipelines::Specialization;

use crate::{QatError, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one wait for the GPU may take before we call it a hang.
const WAIT_LIMIT: Duration = Duration::from_secs(300);

/// Device, queue and what we learned about the adapter.
pub struct Gpu {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter's name, backend and type.
    pub info: wgpu::AdapterInfo,
    /// The features the device was opened with (timestamp queries where the adapter has them).
    pub features: wgpu::Features,
    /// Everything the adapter offers (`qat info`).
    pub adapter_features: wgpu::Features,
    /// The limits the device was opened with (the adapter's own).
    pub limits: wgpu::Limits,
    /// Whether the instance compiles WGSL's packed 4x8 integer dot product (`dot4I8Packed`);
    /// `Gpu::new` asks the instance, `Gpu::from_adapter` (no instance at hand) says false.
    pub wgsl_dot4: bool,
    pipelines: pipelines::PipelineCache,
    readback: buffers::ReadbackPool,
    counters: Counters,
    /// Every storage buffer's size against the binding limit (and sizing mode).
    ledger: ledger::Ledger,
    /// Errors that escaped every error scope, and device loss, recorded by callbacks.
    fault: Arc<Mutex<Option<QatError>>>,
}

/// Submits and buffer creations through this `Gpu`, counted so tests can check that a
/// steady-state training step allocates nothing and submits once.
#[derive(Default)]
struct Counters {
    submits: AtomicU64,
    buffers: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    fn buffer(&self, bytes: u64) {
        self.buffers.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// The counts so far (`Gpu::counts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Command buffers submitted.
    pub submits: u64,
    /// Buffers created.
    pub buffers: u64,
    /// Bytes of the buffers created.
    pub buffer_bytes: u64,
}

/// How kernels are shaped for the adapter: the one choice made per adapter type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// A CPU-type adapter (lavapipe): lanes are SIMD lanes of a few cores, every load costs,
    /// and few large workgroups are cheapest; long sequential loops per lane are fine.
    CpuLanes,
    /// A GPU: thousands of lanes; work must be split into many workgroups (split-K
    /// reductions rather than long loops per lane).
    GpuWide,
}

/// What we choose an adapter by.
#[derive(Debug, Clone, Default)]
pub struct AdapterChoice {
    /// Case-insensitive substring of the adapter name (`--adapter`).
    pub name_contains: Option<String>,
}

/// The limits training relies on; `qat info` prints them and `Gpu::new` checks them.
pub fn required_limits() -> wgpu::Limits {
    wgpu::Limits {
        max_storage_buffers_per_shader_stage: 6,
        max_storage_buffer_binding_size: 64 << 20,
        max_compute_workgroup_size_x: 256,
        max_compute_invocations_per_workgroup: 256,
        max_compute_workgroups_per_dimension: 65535,
        max_compute_workgroup_storage_size: 2048,
        ..wgpu::Limits::downlevel_defaults()
    }
}

impl Gpu {
    /// Opens a device. Backends come from `WGPU_BACKEND` (default: Vulkan, Metal, DX12);
    /// the adapter is the first whose name contains `choice.name_contains`, else the
    /// high-performance default.
    pub fn new(choice: &AdapterChoice) -> Result<Gpu> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if std::env::var_os("WGPU_BACKEND").is_none() {
            desc.backends = wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12;
        }
        let instance = wgpu::Instance::new(desc);
        let adapter = match &choice.name_contains {
            Some(filter) => {
                let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
                let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
                let wanted = filter.to_lowercase();
                adapters.into_iter().find(|a| a.get_info().name.to_lowercase().contains(&wanted)).ok_or_else(|| {
                    QatError::NoAdapter { filter: Some(filter.clone()), detail: format!("adapters present: {names:?}") }
                })?
            }
            None => pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            }))
            .map_err(|e| QatError::NoAdapter {
                filter: None,
                detail: format!(
                    "{e} (on Linux without a GPU, install Mesa's lavapipe: apt-get install mesa-vulkan-drivers)"
                ),
            })?,
        };
        let mut gpu = Self::from_adapter(adapter)?;
        gpu.wgsl_dot4 =
            instance.wgsl_language_features().contains(wgpu::WgslLanguageFeatures::Packed4x8IntegerDotProduct);
        Ok(gpu)
    }

    /// Opens a device on a given adapter, checking the limits we rely on.
    pub fn from_adapter(adapter: wgpu::Adapter) -> Result<Gpu> {
        let info = adapter.get_info();
        let have = adapter.limits();
        let need = required_limits();
        let mut short = Vec::new();
        need.check_limits_with_fail_fn(&have, false, |name, want, got| {
            short.push(format!("{name}: need {want}, adapter has {got}"));
        });
        if !short.is_empty() {
            return Err(QatError::AdapterLacks { adapter: info.name.clone(), what: short.join("; ") });
        }
        // Ask for what the adapter has, so large batches can use large buffers.
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: have.max_storage_buffer_binding_size,
            max_buffer_size: have.max_buffer_size,
            ..need
        };
        // Timestamp queries where the adapter has them (per-kernel times in `qat bench`), and
        // 64-bit integers and float64 for the int8 kernels' native arithmetic
        // (`int8_gpu::Arithmetic`).
        let features = adapter.features()
            & (wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::SHADER_INT64 | wgpu::Features::SHADER_F64);
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("wgpu-qat"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| QatError::RequestDevice { adapter: info.name.clone(), detail: e.to_string() })?;

        let fault: Arc<Mutex<Option<QatError>>> = Arc::new(Mutex::new(None));
        let sink = fault.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            log::error!("uncaptured GPU error: {e}");
            if let Ok(mut slot) = sink.lock() {
                slot.get_or_insert(QatError::gpu("running GPU work", e));
            }
        }));
        let sink = fault.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if let Ok(mut slot) = sink.lock() {
                slot.get_or_insert(QatError::DeviceLost { detail: format!("{reason:?}: {msg}") });
            }
        });
        Ok(Gpu {
            wgsl_dot4: false,
            features: device.features(),
            adapter_features: adapter.features(),
            limits,
            info,
            device,
            queue,
            pipelines: pipelines::PipelineCache::default(),
            readback: buffers::ReadbackPool::default(),
            counters: Counters::default(),
            ledger: ledger::Ledger::default(),
            fault,
        })
    }

    /// One line naming the adapter: "name (backend, device type)".
    pub fn describe(&self) -> String {
        format!("{} ({:?}, {:?})", self.info.name, self.info.backend, self.info.device_type)
    }

    /// Runs `f` inside validation and out-of-memory error scopes and turns a captured error into
    /// `QatError::Gpu` naming `context`.
    pub fn scoped<T>(&self, context: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f();
        let v = pollster::block_on(validation.pop());
        let o = pollster::block_on(oom.pop());
        if let Some(e) = v.or(o) {
            return Err(QatError::gpu(context, e));
        }
        self.check()?;
        out
    }

    /// Returns an error recorded by the uncaptured-error or device-lost callbacks, or a buffer
    /// the ledger refused, if any.
    pub fn check(&self) -> Result<()> {
        if let Some(e) = self.ledger.take_oversize() {
            return Err(e);
        }
        match self.fault.lock() {
            Ok(mut slot) => slot.take().map_or(Ok(()), Err),
            Err(_) => Err(QatError::gpu("checking for GPU errors", "error slot poisoned")),
        }
    }

    /// Blocks until all submitted work is done (bounded by a generous time limit).
    pub fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::Wait { submission_index: None, timeout: Some(WAIT_LIMIT) })
            .map_err(|e| QatError::gpu("waiting for the GPU", e))?;
        self.check()
    }

    /// The compute pipeline of `shader` with its override constants set to `constants`, created
    /// on first use.
    pub fn pipeline(
        &self,
        shader: &'static shaders::Shader,
        constants: &Specialization,
    ) -> Result<wgpu::ComputePipeline> {
        self.pipelines.get(self, shader, constants)
    }

    /// Names what is being recorded (a layer, "the training data") in the error of a buffer
    /// over the adapter's limit (`ledger`); an empty string clears it.
    pub fn buffer_context(&self, context: impl Into<String>) {
        self.ledger.set_context(context.into());
    }

    /// Runs `f` in sizing mode (`ledger`): its storage buffers are checked against the limits but
    /// not made. Returns what `f` returned and the bytes its buffers would have taken; a buffer
    /// over the limit is the error.
    pub fn sizing<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<(T, u64)> {
        self.ledger.sizing(true);
        let out = f();
        let bytes = self.ledger.sizing(false);
        self.buffer_context("");
        self.check()?;
        Ok((out?, bytes))
    }

    /// The largest storage buffer the adapter binds.
    pub fn binding_limit(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size)
    }

    /// A storage buffer of `len` f32/u32 words, zero-initialised.
    pub fn storage(&self, label: &str, words: usize) -> wgpu::Buffer {
        buffers::storage(self, label, words)
    }

    /// A storage buffer holding `data`.
    pub fn upload<T: bytemuck::Pod>(&self, label: &str, data: &[T]) -> wgpu::Buffer {
        buffers::upload(self, label, data)
    }

    /// Copies `words` 32-bit words of `buffer` back to the host.
    pub fn read<T: bytemuck::Pod>(&self, buffer: &wgpu::Buffer, words: usize) -> Result<Vec<T>> {
        self.readback.read(self, buffer, words)
    }

    /// Encodes `dispatches` in one compute pass, submits once.
    pub fn run(&self, dispatches: &[Dispatch]) -> Result<()> {
        let mut encoder = self.device.create_command_encoder(&Default::default());
        dispatch::encode(&mut encoder, dispatches);
        self.submit(encoder);
        self.check()
    }

    /// Submits one command buffer (every submit of the crate goes through here, and is counted).
    pub fn submit(&self, encoder: wgpu::CommandEncoder) {
        self.counters.submits.fetch_add(1, Ordering::Relaxed);
        self.queue.submit([encoder.finish()]);
    }

    /// How kernels are shaped for this adapter (`QAT_STRATEGY=cpu|gpu` overrides, for tests and
    /// benchmarks).
    pub fn strategy(&self) -> Strategy {
        match std::env::var("QAT_STRATEGY").as_deref() {
            Ok("cpu") => Strategy::CpuLanes,
            Ok("gpu") => Strategy::GpuWide,
            _ if self.info.device_type == wgpu::DeviceType::Cpu => Strategy::CpuLanes,
            _ => Strategy::GpuWide,
        }
    }

    /// Submits and buffer creations so far.
    pub fn counts(&self) -> Counts {
        Counts {
            submits: self.counters.submits.load(Ordering::Relaxed),
            buffers: self.counters.buffers.load(Ordering::Relaxed),
            buffer_bytes: self.counters.bytes.load(Ordering::Relaxed),
        }
    }
}
