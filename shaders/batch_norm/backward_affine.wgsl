// Batch norm: gradients of gamma and beta, one workgroup per channel:
// daffine[c] = dgamma = sum dy * xhat, daffine[channels + c] = dbeta = sum dy, with
// xhat = (x - mean) / sqrt(var + eps) from the statistics the forward used.
struct Params { rows: u32, channels: u32, eps: f32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> daffine: array<f32>;

var<workgroup> g_part: array<f32, WG>;
var<workgroup> b_part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let ch = wid.x;
    var g = 0.0;
    var b = 0.0;
    if (ch < p.channels) {
        let mean = stats[2u * ch];
        let inv_std = inverseSqrt(stats[2u * ch + 1u] + p.eps);
        for (var r = lane; r < p.rows; r += WG) {
            let i = r * p.channels + ch;
            g += dy[i] * (x[i] - mean) * inv_std;
            b += dy[i];
        }
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
    if (ch < p.channels && lane == 0u) {
        daffine[ch] = g_part[0];
        daffine[p.channels + ch] = b_part[0];
    }
}
