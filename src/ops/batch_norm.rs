//! Batch normalization over the channel axis of NHWC tensors: batch statistics, normalization
//! with given statistics (batch or moving), the gamma/beta and input gradients, and the moving
//! statistics update. Parameters live in one `affine` buffer [gamma (C), beta (C)] and their
//! gradients in `daffine` of the same layout, so one Adam dispatch updates both.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{
    dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, pipelines::Specialization, Gpu, Strategy,
};
use crate::ops::reduce::ColumnSumParams;
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of batch_norm/statistics.wgsl.
pub struct StatisticsParams {
    /// Rows: elements per channel (batch x height x width).
    pub rows: u32,
    /// Channels.
    pub channels: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(StatisticsParams: rows, channels, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of batch_norm/forward.wgsl.
pub struct NormalizeParams {
    /// Elements.
    pub count: u32,
    /// Channels.
    pub channels: u32,
    /// Added to the variance (batch norm's epsilon).
    pub eps: f32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: u32,
}

crate::uniform_fields!(NormalizeParams: count, channels, eps, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of batch_norm/backward_input.wgsl.
pub struct InputGradParams {
    /// Elements.
    pub count: u32,
    /// Channels.
    pub channels: u32,
    /// Rows: elements per channel (batch x height x width).
    pub rows: u32,
    /// 0: the forward used batch statistics; 1: fixed (moving) statistics.
    pub mode: u32,
    /// Added to the variance (batch norm's epsilon).
    pub eps: f32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 3],
}

crate::uniform_fields!(InputGradParams: count, channels, rows, mode, eps, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of batch_norm/update_moving.wgsl.
pub struct MovingParams {
    /// Channels.
    pub channels: u32,
    /// Weight of the old moving value.
    pub momentum: f32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(MovingParams: channels, momentum, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of batch_norm/fold_scale.wgsl.
pub struct FoldParams {
    /// Channels.
    pub channels: u32,
    /// Added to the variance (batch norm's epsilon).
    pub eps: f32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(FoldParams: channels, eps, _pad);

/// Keras's BatchNormalization epsilon.
pub const EPSILON: f32 = 1e-3;
/// Moving-statistics momentum: 0.9 (PyTorch's default) rather than Keras's 0.99, which leaves
/// the moving variance far from the batch variance for hundreds of steps of a short run
/// (docs/BENCHMARKS.md).
pub const MOMENTUM: f32 = 0.9;

/// Which statistics a batch-norm forward normalizes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistics {
    /// The statistics of the batch (training, before BN is frozen).
    Batch,
    /// Fixed statistics (the moving ones: evaluation, or after BN is frozen).
    Fixed,
}

/// Shapes of a batch norm over `rows` = n*h*w positions of `channels` channels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchNorm {
    /// Rows: elements per channel (batch x height x width).
    pub rows: u32,
    /// Channels.
    pub channels: u32,
    /// Added to the variance (batch norm's epsilon).
    pub eps: f32,
}

/// Rows one workgroup of a split reduction covers (as `reduce::BLOCK_ROWS`).
pub const BLOCK_ROWS: u32 = crate::ops::reduce::BLOCK_ROWS;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of batch_norm/statistics_blocks.wgsl and statistics_finish.wgsl.
pub struct BlockParams {
    /// Rows: elements per channel.
    pub rows: u32,
    /// Channels.
    pub channels: u32,
    /// Rows per block (statistics_blocks), or the number of blocks (statistics_finish).
    pub block: u32,
    /// 0: the mean's pass, 1: the variance's.
    pub mode: u32,
}

crate::uniform_fields!(BlockParams: rows, channels, block, mode);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of batch_norm/backward_affine.wgsl.
pub struct AffineBlockParams {
    /// Rows: elements per channel.
    pub rows: u32,
    /// Channels.
    pub channels: u32,
    /// Rows per block.
    pub block: u32,
    /// Added to the variance (batch norm's epsilon).
    pub eps: f32,
}

crate::uniform_fields!(AffineBlockParams: rows, channels, block, eps);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of batch_norm/channel_sums.wgsl.
pub struct ChannelSumsParams {
    /// Rows: elements per channel.
    pub rows: u32,
    /// Channels.
    pub channels: u32,
    /// 0: sums of x, 1: sums of squared deviations, 2: the gradients of gamma and beta.
    pub mode: u32,
    /// Added to the variance (batch norm's epsilon).
    pub eps: f32,
}

crate::uniform_fields!(ChannelSumsParams: rows, channels, mode, eps);

impl BatchNorm {
    /// A batch norm over `rows` x `channels` values (NHWC: rows = batch x height x width).
    pub fn new(rows: u32, channels: u32) -> Self {
        BatchNorm { rows, channels, eps: EPSILON }
    }
    /// Elements (rows x channels).
    pub fn len(&self) -> usize {
        (self.rows * self.channels) as usize
    }
    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Blocks of `BLOCK_ROWS` rows when the tensor is tall enough to split, else None.
    fn blocks(&self) -> Option<u32> {
        let blocks = self.rows.div_ceil(BLOCK_ROWS);
        (blocks > 2).then_some(blocks)
    }
    /// The channel count the elementwise and lane-split kernels are specialized on.
    pub fn specialization(&self) -> Specialization {
        Specialization::default().with("CHANNELS", self.channels)
    }
    /// Lanes of batch_norm/channel_sums.wgsl (whole workgroups, about 64 rows each) and its
    /// grid.
    fn channel_sum_lanes(&self) -> (u32, Grid) {
        let groups = self.rows.div_ceil(64).div_ceil(WORKGROUP_SIZE).max(1);
        (groups * WORKGROUP_SIZE, Grid(groups, self.channels.div_ceil(4), 1))
    }
    /// stats = [mean, var] per channel of x: one workgroup per channel, or for a tall tensor
    /// blocks of rows per channel (partial sums in a buffer made here) and their sums, for the
    /// mean and then the variance; on a CPU-type adapter the rows split over lanes
    /// (batch_norm/channel_sums.wgsl) and their sums.
    pub fn statistics(&self, gpu: &Gpu, x: &wgpu::Buffer, stats: &wgpu::Buffer) -> Result<Vec<Dispatch>> {
        self.statistics_for(gpu.strategy(), gpu, x, stats)
    }
    /// `statistics` shaped for `strategy` (tests run both).
    pub fn statistics_for(
        &self,
        strategy: Strategy,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        stats: &wgpu::Buffer,
    ) -> Result<Vec<Dispatch>> {
        if strategy == Strategy::CpuLanes {
            let (lanes, grid) = self.channel_sum_lanes();
            let partial = gpu.storage("batch-norm statistics per lane", (lanes * self.channels) as usize);
            let mut out = Vec::new();
            for mode in [0, 1] {
                let p = ChannelSumsParams { rows: self.rows, channels: self.channels, mode, eps: self.eps };
                out.push(Dispatch::specialized(
                    gpu,
                    &CHANNEL_SUMS,
                    &self.specialization(),
                    &p,
                    &[x, x, stats, &partial],
                    grid,
                )?);
                let f = BlockParams { rows: self.rows, channels: self.channels, block: lanes, mode };
                out.push(Dispatch::new(
                    gpu,
                    &STATISTICS_FINISH,
                    &f,
                    &[&partial, stats],
                    Grid::items(self.channels as usize, WORKGROUP_SIZE),
                )?);
            }
            return Ok(out);
        }
        let Some(blocks) = self.blocks() else {
            let p = StatisticsParams { rows: self.rows, channels: self.channels, _pad: [0; 2] };
            return Ok(vec![Dispatch::new(gpu, &STATISTICS, &p, &[x, stats], Grid(self.channels.max(1), 1, 1))?]);
        };
        let partial = gpu.storage("batch-norm statistics blocks", (blocks * self.channels) as usize);
        let mut out = Vec::new();
        for mode in [0, 1] {
            let p = BlockParams { rows: self.rows, channels: self.channels, block: BLOCK_ROWS, mode };
            out.push(Dispatch::new(
                gpu,
                &STATISTICS_BLOCKS,
                &p,
                &[x, stats, &partial],
                Grid(self.channels, blocks, 1),
            )?);
            let f = BlockParams { rows: self.rows, channels: self.channels, block: blocks, mode };
            out.push(Dispatch::new(
                gpu,
                &STATISTICS_FINISH,
                &f,
                &[&partial, stats],
                Grid::items(self.channels as usize, WORKGROUP_SIZE),
            )?);
        }
        Ok(out)
    }
    /// Records y = gamma (x - mean) / sqrt(var + eps) + beta with `stats` = [mean, var] per channel.
    pub fn forward(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        stats: &wgpu::Buffer,
        affine: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let p = NormalizeParams { count: self.len() as u32, channels: self.channels, eps: self.eps, _pad: 0 };
        Dispatch::specialized(
            gpu,
            &FORWARD,
            &self.specialization(),
            &p,
            &[x, stats, affine, y],
            Grid::items(self.len().div_ceil(16), WORKGROUP_SIZE),
        )
    }
    /// Records the gradient of gamma and beta: one workgroup per channel, or for a tall tensor
    /// blocks of rows (partial sums in a buffer made here) and their column sums; on a CPU-type
    /// adapter the rows split over lanes (batch_norm/channel_sums.wgsl) and their column sums.
    pub fn backward_affine(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        stats: &wgpu::Buffer,
        daffine: &wgpu::Buffer,
    ) -> Result<Vec<Dispatch>> {
        self.backward_affine_for(gpu.strategy(), gpu, x, dy, stats, daffine)
    }
    /// `backward_affine` shaped for `strategy` (tests run both).
    pub fn backward_affine_for(
        &self,
        strategy: Strategy,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        stats: &wgpu::Buffer,
        daffine: &wgpu::Buffer,
    ) -> Result<Vec<Dispatch>> {
        if strategy == Strategy::CpuLanes {
            let (lanes, grid) = self.channel_sum_lanes();
            let partial = gpu.storage("batch-norm affine gradient per lane", (2 * lanes * self.channels) as usize);
            let p = ChannelSumsParams { rows: self.rows, channels: self.channels, mode: 2, eps: self.eps };
            let mut out = vec![Dispatch::specialized(
                gpu,
                &CHANNEL_SUMS,
                &self.specialization(),
                &p,
                &[x, dy, stats, &partial],
                grid,
            )?];
            out.extend(ColumnSumParams::new(lanes, 2 * self.channels).dispatch(gpu, &partial, daffine)?);
            return Ok(out);
        }
        let Some(blocks) = self.blocks() else {
            // One block of every row: the partial sums are the gradients.
            let p = AffineBlockParams { rows: self.rows, channels: self.channels, block: self.rows, eps: self.eps };
            return Ok(vec![Dispatch::new(
                gpu,
                &BACKWARD_AFFINE,
                &p,
                &[x, dy, stats, daffine],
                Grid(self.channels, 1, 1),
            )?]);
        };
        let partial = gpu.storage("batch-norm affine gradient blocks", (2 * blocks * self.channels) as usize);
        let p = AffineBlockParams { rows: self.rows, channels: self.channels, block: BLOCK_ROWS, eps: self.eps };
        let mut out =
            vec![Dispatch::new(gpu, &BACKWARD_AFFINE, &p, &[x, dy, stats, &partial], Grid(self.channels, blocks, 1))?];
        out.extend(ColumnSumParams::new(blocks, 2 * self.channels).dispatch(gpu, &partial, daffine)?);
        Ok(out)
    }
    #[allow(clippy::too_many_arguments)]
    /// Records the kernel that computes the input gradient dx from dy and the weights.
    pub fn backward_input(
        &self,
        gpu: &Gpu,
        statistics: Statistics,
        x: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        stats: &wgpu::Buffer,
        affine: &wgpu::Buffer,
        daffine: &wgpu::Buffer,
        dx: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let mode = match statistics {
            Statistics::Batch => 0,
            Statistics::Fixed => 1,
        };
        let p = InputGradParams {
            count: self.len() as u32,
            channels: self.channels,
            rows: self.rows,
            mode,
            eps: self.eps,
            _pad: [0; 3],
        };
        Dispatch::specialized(
            gpu,
            &BACKWARD_INPUT,
            &self.specialization(),
            &p,
            &[x, dy, stats, affine, daffine, dx],
            Grid::items(self.len().div_ceil(16), WORKGROUP_SIZE),
        )
    }
    /// scale = gamma / sqrt(moving_var + eps) and its inverse (BN folding during QAT).
    pub fn fold_scale(
        &self,
        gpu: &Gpu,
        affine: &wgpu::Buffer,
        moving: &wgpu::Buffer,
        scale: &wgpu::Buffer,
        inv_scale: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let p = FoldParams { channels: self.channels, eps: self.eps, _pad: [0; 2] };
        Dispatch::new(
            gpu,
            &FOLD_SCALE,
            &p,
            &[affine, moving, scale, inv_scale],
            Grid::items(self.channels as usize, WORKGROUP_SIZE),
        )
    }
    /// Records moving = momentum * moving + (1 - momentum) * batch, for mean and variance.
    pub fn update_moving(
        &self,
        gpu: &Gpu,
        momentum: f32,
        batch: &wgpu::Buffer,
        moving: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let p = MovingParams { channels: self.channels, momentum, _pad: [0; 2] };
        Dispatch::new(
            gpu,
            &UPDATE_MOVING,
            &p,
            &[batch, moving],
            Grid::items(2 * self.channels as usize, WORKGROUP_SIZE),
        )
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `batch_norm/statistics`: shaders/batch_norm/statistics.wgsl.
#[rustfmt::skip]
pub static STATISTICS: Kernel<StatisticsParams> = crate::kernel!("batch_norm/statistics", StatisticsParams, [R, W]);
/// `batch_norm/statistics_blocks`: shaders/batch_norm/statistics_blocks.wgsl.
#[rustfmt::skip]
pub static STATISTICS_BLOCKS: Kernel<BlockParams> = crate::kernel!("batch_norm/statistics_blocks", BlockParams, [R, R, W]);
/// `batch_norm/channel_sums`: shaders/batch_norm/channel_sums.wgsl.
#[rustfmt::skip]
pub static CHANNEL_SUMS: Kernel<ChannelSumsParams> = crate::kernel!("batch_norm/channel_sums", ChannelSumsParams, [R, R, R, W]; specialized ["CHANNELS"]);
/// `batch_norm/statistics_finish`: shaders/batch_norm/statistics_finish.wgsl.
#[rustfmt::skip]
pub static STATISTICS_FINISH: Kernel<BlockParams> = crate::kernel!("batch_norm/statistics_finish", BlockParams, [R, W]);
/// `batch_norm/backward_affine`: shaders/batch_norm/backward_affine.wgsl.
#[rustfmt::skip]
pub static BACKWARD_AFFINE: Kernel<AffineBlockParams> = crate::kernel!("batch_norm/backward_affine", AffineBlockParams, [R, R, R, W]);
/// `batch_norm/forward`: shaders/batch_norm/forward.wgsl.
#[rustfmt::skip]
pub static FORWARD: Kernel<NormalizeParams> = crate::kernel!("batch_norm/forward", NormalizeParams, [R, R, R, W], "common/channel_of"; specialized ["CHANNELS"]);
/// `batch_norm/backward_input`: shaders/batch_norm/backward_input.wgsl.
#[rustfmt::skip]
pub static BACKWARD_INPUT: Kernel<InputGradParams> = crate::kernel!("batch_norm/backward_input", InputGradParams, [R, R, R, R, R, W], "common/channel_of"; specialized ["CHANNELS"]);
/// `batch_norm/update_moving`: shaders/batch_norm/update_moving.wgsl.
#[rustfmt::skip]
pub static UPDATE_MOVING: Kernel<MovingParams> = crate::kernel!("batch_norm/update_moving", MovingParams, [R, W]);
/// `batch_norm/fold_scale`: shaders/batch_norm/fold_scale.wgsl.
#[rustfmt::skip]
pub static FOLD_SCALE: Kernel<FoldParams> = crate::kernel!("batch_norm/fold_scale", FoldParams, [R, R, W, W]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[
    &STATISTICS.shader,
    &STATISTICS_BLOCKS.shader,
    &CHANNEL_SUMS.shader,
    &STATISTICS_FINISH.shader,
    &BACKWARD_AFFINE.shader,
    &FORWARD.shader,
    &BACKWARD_INPUT.shader,
    &UPDATE_MOVING.shader,
    &FOLD_SCALE.shader,
];

/// Twins of the batch-norm kernels. `affine` = [gamma (C), beta (C)], `stats` = [mean, var] per channel.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use crate::ops::batch_norm::{BatchNorm, Statistics};

    /// Twin of batch_norm/statistics.wgsl: mean, then the mean squared deviation (biased variance).
    pub fn batch_norm_statistics(bn: &BatchNorm, x: &[f32]) -> Vec<f32> {
        let (rows, c) = (bn.rows as usize, bn.channels as usize);
        (0..c)
            .flat_map(|ch| {
                let mean = (0..rows).map(|r| x[r * c + ch]).sum::<f32>() / rows.max(1) as f32;
                let var = (0..rows).map(|r| (x[r * c + ch] - mean).powi(2)).sum::<f32>() / rows.max(1) as f32;
                [mean, var]
            })
            .collect()
    }

    /// Twin of batch_norm/forward.wgsl.
    pub fn batch_norm_forward(bn: &BatchNorm, x: &[f32], stats: &[f32], affine: &[f32]) -> Vec<f32> {
        let c = bn.channels as usize;
        x.iter()
            .enumerate()
            .map(|(i, v)| {
                let ch = i % c;
                affine[ch] * (v - stats[2 * ch]) / (stats[2 * ch + 1] + bn.eps).sqrt() + affine[c + ch]
            })
            .collect()
    }

    /// Twin of batch_norm/backward_affine.wgsl: [dgamma (C), dbeta (C)].
    pub fn batch_norm_backward_affine(bn: &BatchNorm, x: &[f32], dy: &[f32], stats: &[f32]) -> Vec<f32> {
        let c = bn.channels as usize;
        let mut d = vec![0.0; 2 * c];
        for (i, (v, g)) in x.iter().zip(dy).enumerate() {
            let ch = i % c;
            d[ch] += g * (v - stats[2 * ch]) / (stats[2 * ch + 1] + bn.eps).sqrt();
            d[c + ch] += g;
        }
        d
    }

    /// Twin of batch_norm/backward_input.wgsl.
    pub fn batch_norm_backward_input(
        bn: &BatchNorm,
        statistics: Statistics,
        x: &[f32],
        dy: &[f32],
        stats: &[f32],
        affine: &[f32],
        daffine: &[f32],
    ) -> Vec<f32> {
        let c = bn.channels as usize;
        let m = bn.rows as f32;
        x.iter()
            .zip(dy)
            .enumerate()
            .map(|(i, (v, g))| {
                let ch = i % c;
                let inv_std = 1.0 / (stats[2 * ch + 1] + bn.eps).sqrt();
                match statistics {
                    Statistics::Fixed => affine[ch] * inv_std * g,
                    Statistics::Batch => {
                        let xhat = (v - stats[2 * ch]) * inv_std;
                        affine[ch] * inv_std / m * (m * g - daffine[c + ch] - xhat * daffine[ch])
                    }
                }
            })
            .collect()
    }

    /// Twin of batch_norm/fold_scale.wgsl: (scale, inverse scale) per channel.
    pub fn batch_norm_fold_scale(bn: &BatchNorm, affine: &[f32], moving: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let c = bn.channels as usize;
        let s: Vec<f32> = (0..c).map(|ch| affine[ch] / (moving[2 * ch + 1] + bn.eps).sqrt()).collect();
        let inv = s.iter().map(|&v| if v != 0.0 { 1.0 / v } else { 0.0 }).collect();
        (s, inv)
    }

    /// Twin of batch_norm/update_moving.wgsl.
    pub fn batch_norm_update_moving(momentum: f32, batch: &[f32], moving: &mut [f32]) {
        for (m, b) in moving.iter_mut().zip(batch) {
            *m = momentum * *m + (1.0 - momentum) * b;
        }
    }
}
