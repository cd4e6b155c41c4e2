// Batch norm: gradients of gamma and beta, dgamma = sum dy * xhat and dbeta = sum dy, with
// xhat = (x - mean) / sqrt(var + eps) from the statistics the forward used. Workgroup (ch, block)
// sums its block of rows of channel ch into partial[block, ch] and partial[block, channels + ch].
// With one block of all rows that is daffine itself; a tall tensor uses several blocks (a GPU
// gets many workgroups per channel) and reduce/column_sum.wgsl adds them into daffine.
struct Params { rows: u32, channels: u32, block: u32, eps: f32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

var<workgroup> g_part: array<f32, WG>;
var<workgroup> b_part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let ch = wid.x;
    let first = wid.y * p.block;
    let end = min(first + p.block, p.rows);
    let mean = stats[2u * ch];
    let inv_std = inverseSqrt(stats[2u * ch + 1u] + p.eps);
    var g = 0.0;
    var b = 0.0;
    for (var r = first + lane; r < end; r += WG) {
        let i = r * p.channels + ch;
        g += dy[i] * (x[i] - mean) * inv_std;
        b += dy[i];
    }
    g_part[lane] = g;
    b_part[lane] = b;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lane < s) {
            g_part[lane] += g_part[lane + s];
            b_part[lane] += b_part[lane + s];
        }
        workgroupBarrier();
    }
    if (lane == 0u) {
        partial[wid.y * 2u * p.channels + ch] = g_part[0];
        partial[wid.y * 2u * p.channels + p.channels + ch] = b_part[0];
    }
}
