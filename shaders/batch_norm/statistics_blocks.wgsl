// Batch-norm statistics of a tall [rows, channels] tensor, in blocks of rows (a GPU gets many
// workgroups per channel): workgroup (ch, block) = (workgroup_id.x, workgroup_id.y) sums its
// rows of channel ch into partial[block, ch]: x in mode 0, (x - mean)^2 in mode 1 (the mean
// from stats[2ch], written by batch_norm/statistics_finish.wgsl in mode 0). The same two passes
// as batch_norm/statistics.wgsl, in a fixed order.
struct Params { rows: u32, channels: u32, block: u32, mode: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let ch = wid.x;
    let first = wid.y * p.block;
    let end = min(first + p.block, p.rows);
    var acc = 0.0;
    if (p.mode == 0u) {
        for (var r = first + lane; r < end; r += WG) { acc += x[r * p.channels + ch]; }
    } else {
        let mean = stats[2u * ch];
        for (var r = first + lane; r < end; r += WG) {
            let d = x[r * p.channels + ch] - mean;
            acc += d * d;
        }
    }
    part[lane] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lane < s) { part[lane] += part[lane + s]; }
        workgroupBarrier();
    }
    if (lane == 0u) { partial[wid.y * p.channels + ch] = part[0]; }
}
