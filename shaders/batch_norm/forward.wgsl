// Batch norm forward with given statistics (the batch's in training, the moving ones once
// frozen or at inference): y = gamma * (x - mean) / sqrt(var + eps) + beta, channel last.
// affine = [gamma (channels), beta (channels)]; stats = [mean, var] per channel. Sixteen values
// per lane as four vec4s (buffers are whole vec4s, see gpu::buffers), each value with its own
// channel; the same f32 operations on each component as one value per lane. When channels % 4 == 0
// (a constant branch, see CHANNELS) a vec4 holds four consecutive channels and their parameters
// are vec4 loads. The channel count is fixed per layer when the pipeline is created (an override
// constant, gpu::Specialization), so the branches on it and the channel arithmetic fold away.
override CHANNELS: u32;
struct Params { count: u32, channels: u32, eps: f32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> stats: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> affine: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;

fn at(i: u32) -> vec2<u32> { return vec2(i / 4u, i % 4u); }

fn normalize(e: u32) {
    var gamma = vec4(0.0);
    var beta = vec4(0.0);
    var mean = vec4(0.0);
    var var_ = vec4(0.0);
    if (CHANNELS % 4u == 0u) {
        let ch0 = channel_of(4u * e, CHANNELS);
        gamma = affine[ch0 / 4u];
        beta = affine[(CHANNELS + ch0) / 4u];
        let s0 = stats[ch0 / 2u];
        let s1 = stats[ch0 / 2u + 1u];
        mean = vec4(s0.x, s0.z, s1.x, s1.z);
        var_ = vec4(s0.y, s0.w, s1.y, s1.w);
    } else {
        for (var j = 0u; j < 4u; j++) {
            let ch = channel_of(4u * e + j, CHANNELS);
            let g = at(ch);
            let b = at(CHANNELS + ch);
            let m = at(2u * ch);
            let v = at(2u * ch + 1u);
            gamma[j] = affine[g.x][g.y];
            beta[j] = affine[b.x][b.y];
            mean[j] = stats[m.x][m.y];
            var_[j] = stats[v.x][v.y];
        }
    }
    let inv_std = inverseSqrt(var_ + p.eps);
    y[e] = gamma * (x[e] - mean) * inv_std + beta;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let n4 = (p.count + 3u) / 4u;
    for (var q = 0u; q < 4u; q++) {
        if (4u * i + q < n4) { normalize(4u * i + q); }
    }
}
