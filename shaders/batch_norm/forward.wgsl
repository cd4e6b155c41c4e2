// Batch norm forward with given statistics (the batch's in training, the moving ones once
// frozen or at inference): y = gamma * (x - mean) / sqrt(var + eps) + beta, channel last.
// affine = [gamma (channels), beta (channels)]; stats = [mean, var] per channel. Four values per
// lane (buffers are whole vec4s, see gpu::buffers), each with its own channel; the same f32
// operations on each component as one value per lane.
struct Params { count: u32, channels: u32, eps: f32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> affine: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= (p.count + 3u) / 4u) { return; }
    var gamma = vec4(0.0);
    var beta = vec4(0.0);
    var mean = vec4(0.0);
    var var_ = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
        let ch = channel_of(4u * i + j, p.channels);
        gamma[j] = affine[ch];
        beta[j] = affine[p.channels + ch];
        mean[j] = stats[2u * ch];
        var_[j] = stats[2u * ch + 1u];
    }
    let inv_std = inverseSqrt(var_ + p.eps);
    y[i] = gamma * (x[i] - mean) * inv_std + beta;
}
