// Batch-norm training statistics: per channel of a [rows, channels] tensor (rows = n*h*w),
// the mean and the (biased) variance, written as stats[2c] = mean, stats[2c + 1] = var.
// One workgroup per channel; two passes (mean, then squared deviations) for accuracy.
struct Params { rows: u32, channels: u32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;

var<workgroup> part: array<f32, WG>;

fn reduce(lane: u32) -> f32 {
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lane < s) { part[lane] += part[lane + s]; }
        workgroupBarrier();
    }
    let total = part[0];
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let ch = wid.x;
    let live = ch < p.channels;
    var s = 0.0;
    if (live) {
        for (var r = lane; r < p.rows; r += WG) { s += x[r * p.channels + ch]; }
    }
    part[lane] = s;
    let mean = reduce(lane) / f32(max(p.rows, 1u));
    var q = 0.0;
    if (live) {
        for (var r = lane; r < p.rows; r += WG) {
            let d = x[r * p.channels + ch] - mean;
            q += d * d;
        }
    }
    part[lane] = q;
    let variance = reduce(lane) / f32(max(p.rows, 1u));
    if (live && lane == 0u) {
        stats[2u * ch] = mean;
        stats[2u * ch + 1u] = variance;
    }
}
