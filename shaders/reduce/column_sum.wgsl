// Column sums of a row-major [rows, cols] matrix: one workgroup per column, WG lanes striding
// over the rows, reduced in workgroup memory. Bias gradients of conv (rows = n*oh*ow) and dense.
struct Params { rows: u32, cols: u32, block_rows: u32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let col = wid.x + wid.y * nwg.x;
    var acc = 0.0;
    if (col < p.cols) {
        for (var r = lane; r < p.rows; r += WG) { acc += a[r * p.cols + col]; }
    }
    partial[lane] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lane < s) { partial[lane] += partial[lane + s]; }
        workgroupBarrier();
    }
    if (col < p.cols && lane == 0u) { sums[col] = partial[0]; }
}
