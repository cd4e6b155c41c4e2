// Batch norm gradient with respect to the input, elementwise, after backward_affine:
// with batch statistics (mode 0, training): dx = gamma * inv_std / m * (m * dy - dbeta - xhat * dgamma)
// with fixed statistics (mode 1, frozen or moving): dx = gamma * inv_std * dy
// where m = rows (n*h*w), inv_std = 1 / sqrt(var + eps), xhat = (x - mean) * inv_std.
// Four values per lane (buffers are whole vec4s, see gpu::buffers), each with its own channel.
struct Params { count: u32, channels: u32, rows: u32, mode: u32, eps: f32, _pad0: u32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> affine: array<f32>;
@group(0) @binding(5) var<storage, read> daffine: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= (p.count + 3u) / 4u) { return; }
    var gamma = vec4(0.0);
    var mean = vec4(0.0);
    var var_ = vec4(0.0);
    var dgamma = vec4(0.0);
    var dbeta = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
        let ch = channel_of(4u * i + j, p.channels);
        gamma[j] = affine[ch];
        mean[j] = stats[2u * ch];
        var_[j] = stats[2u * ch + 1u];
        dgamma[j] = daffine[ch];
        dbeta[j] = daffine[p.channels + ch];
    }
    let inv_std = inverseSqrt(var_ + p.eps);
    if (p.mode == 1u) {
        dx[i] = gamma * inv_std * dy[i];
        return;
    }
    let m = f32(p.rows);
    let xhat = (x[i] - mean) * inv_std;
    dx[i] = gamma * inv_std / m * (m * dy[i] - dbeta - xhat * dgamma);
}
