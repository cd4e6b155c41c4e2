// Batch norm forward with given statistics (the batch's in training, the moving ones once
// frozen or at inference): y = gamma * (x - mean) / sqrt(var + eps) + beta, channel last.
// affine = [gamma (channels), beta (channels)]; stats = [mean, var] per channel.
struct Params { count: u32, channels: u32, eps: f32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> affine: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;


@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.count) { return; }
    let ch = channel_of(idx, p.channels);
    let inv_std = inverseSqrt(stats[2u * ch + 1u] + p.eps);
    y[idx] = affine[ch] * (x[idx] - stats[2u * ch]) * inv_std + affine[p.channels + ch];
}
