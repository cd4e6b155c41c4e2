// Batch norm gradient with respect to the input, elementwise, after backward_affine:
// with batch statistics (mode 0, training): dx = gamma * inv_std / m * (m * dy - dbeta - xhat * dgamma)
// with fixed statistics (mode 1, frozen or moving): dx = gamma * inv_std * dy
// where m = rows (n*h*w), inv_std = 1 / sqrt(var + eps), xhat = (x - mean) * inv_std.
struct Params { count: u32, channels: u32, rows: u32, mode: u32, eps: f32, _pad0: u32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> affine: array<f32>;
@group(0) @binding(5) var<storage, read> daffine: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;


@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.count) { return; }
    let ch = channel_of(idx, p.channels);
    let inv_std = inverseSqrt(stats[2u * ch + 1u] + p.eps);
    let gamma = affine[ch];
    if (p.mode == 1u) {
        dx[idx] = gamma * inv_std * dy[idx];
        return;
    }
    let m = f32(p.rows);
    let xhat = (x[idx] - stats[2u * ch]) * inv_std;
    dx[idx] = gamma * inv_std / m * (m * dy[idx] - daffine[p.channels + ch] - xhat * daffine[ch]);
}
