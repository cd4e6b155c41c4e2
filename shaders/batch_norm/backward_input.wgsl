// Batch norm gradient with respect to the input, elementwise, after backward_affine:
// with batch statistics (mode 0, training): dx = gamma * inv_std / m * (m * dy - dbeta - xhat * dgamma)
// with fixed statistics (mode 1, frozen or moving): dx = gamma * inv_std * dy
// where m = rows (n*h*w), inv_std = 1 / sqrt(var + eps), xhat = (x - mean) * inv_std.
// Sixteen values per lane as four vec4s (buffers are whole vec4s, see gpu::buffers), each value
// with its own channel; when channels % 4 == 0 (a constant branch, see CHANNELS) a vec4 holds four
// consecutive channels and their parameters are vec4 loads. The channel count is fixed per layer
// when the pipeline is created (an override constant, gpu::Specialization), so the branches on it
// and the channel arithmetic fold away.
override CHANNELS: u32;
struct Params { count: u32, channels: u32, rows: u32, mode: u32, eps: f32, _pad0: u32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> stats: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> affine: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> daffine: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dx: array<vec4<f32>>;

fn at(i: u32) -> vec2<u32> { return vec2(i / 4u, i % 4u); }

fn gradient(e: u32) {
    var gamma = vec4(0.0);
    var mean = vec4(0.0);
    var var_ = vec4(0.0);
    var dgamma = vec4(0.0);
    var dbeta = vec4(0.0);
    if (CHANNELS % 4u == 0u) {
        let ch0 = channel_of(4u * e, CHANNELS);
        gamma = affine[ch0 / 4u];
        let s0 = stats[ch0 / 2u];
        let s1 = stats[ch0 / 2u + 1u];
        mean = vec4(s0.x, s0.z, s1.x, s1.z);
        var_ = vec4(s0.y, s0.w, s1.y, s1.w);
        dgamma = daffine[ch0 / 4u];
        dbeta = daffine[(CHANNELS + ch0) / 4u];
    } else {
        for (var j = 0u; j < 4u; j++) {
            let ch = channel_of(4u * e + j, CHANNELS);
            let g = at(ch);
            let b = at(CHANNELS + ch);
            let m = at(2u * ch);
            let v = at(2u * ch + 1u);
            gamma[j] = affine[g.x][g.y];
            mean[j] = stats[m.x][m.y];
            var_[j] = stats[v.x][v.y];
            dgamma[j] = daffine[g.x][g.y];
            dbeta[j] = daffine[b.x][b.y];
        }
    }
    let inv_std = inverseSqrt(var_ + p.eps);
    if (p.mode == 1u) {
        dx[e] = gamma * inv_std * dy[e];
        return;
    }
    let m = f32(p.rows);
    let xhat = (x[e] - mean) * inv_std;
    dx[e] = gamma * inv_std / m * (m * dy[e] - dbeta - xhat * dgamma);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let n4 = (p.count + 3u) / 4u;
    for (var q = 0u; q < 4u; q++) {
        if (4u * i + q < n4) { gradient(4u * i + q); }
    }
}
