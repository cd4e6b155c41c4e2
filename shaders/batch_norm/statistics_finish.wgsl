// Batch-norm statistics, second stage of batch_norm/statistics_blocks.wgsl: one invocation per
// channel sums its `blocks` partial sums in block order and divides by rows, writing the mean
// (mode 0, stats[2ch]) or the biased variance (mode 1, stats[2ch + 1]).
struct Params { rows: u32, channels: u32, block: u32, mode: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let ch = gid.x;
    if (ch >= p.channels) { return; }
    var acc = 0.0;
    for (var b = 0u; b < p.block; b++) { acc += partial[b * p.channels + ch]; }
    stats[2u * ch + p.mode] = acc / f32(max(p.rows, 1u));
}
