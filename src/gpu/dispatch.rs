//! A recorded dispatch: pipeline + bind group + workgroup counts, built once and replayed every
//! step. All our shaders bind `@binding(0)` to a uniform parameter struct and then their
//! buffers in order, so one constructor fits every kernel.

use crate::gpu::shaders::Kernel;
use crate::gpu::{buffers, pipelines::Specialization, Gpu, Strategy};
use crate::Result;

/// Workgroup counts for a dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid(pub u32, pub u32, pub u32);

const MAX_PER_DIM: u32 = 65535;

/// Most workgroups of a strided grid on a CPU-type adapter (`Grid::strided`): enough to share
/// among its threads, few enough that starting them costs little.
pub const STRIDED_GROUPS: usize = 256;

/// The workgroup size of every one-invocation-per-item or per-workgroup-reduction kernel: the
/// `WG` of shaders/common/workgroup.wgsl, which the registry prepends to every shader (a test
/// checks that the two agree).
pub const WORKGROUP_SIZE: u32 = 64;

impl Grid {
    /// One invocation per item with `wg`-wide workgroups, folded into y when x would exceed the
    /// per-dimension limit; shaders recover the flat index as `gid.x + gid.y * nwg.x * wg`.
    pub fn items(count: usize, wg: u32) -> Grid {
        Self::groups(count.div_ceil(wg as usize))
    }
    /// `items(count, wg)` repeated over `layers` in z (z is the workgroup's "layer", e.g. a
    /// block of output channels).
    pub fn items_by_layer(count: usize, wg: u32, layers: usize) -> Grid {
        let Grid(x, y, _) = Self::items(count, wg);
        Grid(x, y, layers.max(1) as u32)
    }
    /// A grid whose lanes stride over `count` items (shaders loop `i = flat id; i < count;
    /// i += every lane`): on a CPU-type adapter at most `STRIDED_GROUPS` workgroups, since
    /// lavapipe pays for every workgroup it starts; on a GPU one lane per item.
    pub fn strided(count: usize, wg: u32, strategy: Strategy) -> Grid {
        let groups = count.div_ceil(wg as usize);
        match strategy {
            Strategy::CpuLanes => Self::groups(groups.min(STRIDED_GROUPS)),
            Strategy::GpuWide => Self::groups(groups),
        }
    }
    /// `groups` workgroups, folded the same way (flat id = `wid.x + wid.y * nwg.x`).
    pub fn groups(groups: usize) -> Grid {
        let groups = groups.max(1) as u64;
        if groups <= MAX_PER_DIM as u64 {
            Grid(groups as u32, 1, 1)
        } else {
            Grid(MAX_PER_DIM, groups.div_ceil(MAX_PER_DIM as u64) as u32, 1)
        }
    }
}

/// One kernel launch, ready to replay (a clone launches the same kernel on the same buffers).
#[derive(Clone)]
pub struct Dispatch {
    /// The shader's name (profiling, messages).
    pub label: &'static str,
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    grid: Grid,
}

impl Dispatch {
    /// Binds `params` at binding 0 and `buffers` at bindings 1.. of `kernel`.
    pub fn new<P: bytemuck::Pod>(
        gpu: &Gpu,
        kernel: &'static Kernel<P>,
        params: &P,
        buffers: &[&wgpu::Buffer],
        grid: Grid,
    ) -> Result<Dispatch> {
        Self::specialized(gpu, kernel, &Specialization::default(), params, buffers, grid)
    }

    /// `new` for a kernel specialized on override constants (its declaration names them).
    pub fn specialized<P: bytemuck::Pod>(
        gpu: &Gpu,
        kernel: &'static Kernel<P>,
        constants: &Specialization,
        params: &P,
        buffers: &[&wgpu::Buffer],
        grid: Grid,
    ) -> Result<Dispatch> {
        let shader = kernel.shader.name;
        let most = gpu.limits.max_compute_workgroups_per_dimension;
        if [grid.0, grid.1, grid.2].iter().any(|&d| d > most) {
            return Err(crate::QatError::gpu(
                format!("launching shader {shader:?}"),
                format!("{grid:?} workgroups exceed this adapter's {most} per dimension"),
            ));
        }
        let declared = kernel.shader.buffers.len();
        if buffers.len() != declared {
            return Err(crate::QatError::gpu(
                format!("launching shader {shader:?}"),
                format!("{} buffers given, the kernel declares {declared}", buffers.len()),
            ));
        }
        let pipeline = gpu.pipeline(&kernel.shader, constants)?;
        let uniform = buffers::uniform(gpu, shader, params);
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }];
        for (i, b) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry { binding: 1 + i as u32, resource: b.as_entire_binding() });
        }
        let bind_group = gpu.scoped(&format!("binding buffers for shader {shader:?}"), || {
            Ok(gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(shader),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            }))
        })?;
        Ok(Dispatch { label: shader, pipeline, bind_group, grid })
    }
}

/// Encodes dispatches in one compute pass. wgpu inserts the barriers between dependent
/// dispatches; order in the slice is execution order.
pub fn encode(encoder: &mut wgpu::CommandEncoder, dispatches: &[Dispatch]) {
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
    for d in dispatches {
        d.encode_into(&mut pass);
    }
}

impl Dispatch {
    /// Records this dispatch into `pass`.
    pub fn encode_into(&self, pass: &mut wgpu::ComputePass) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(self.grid.0, self.grid.1, self.grid.2);
    }
}
