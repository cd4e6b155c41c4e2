// First stage of a tall matrix's column sums: workgroup (col, block) = (workgroup_id.x,
// workgroup_id.y) sums rows [block * block_rows, (block + 1) * block_rows) of column col, its WG
// lanes striding over the rows and reducing in workgroup memory, into partial[block, col];
// reduce/column_sum.wgsl then sums the blocks.
struct Params { rows: u32, cols: u32, block_rows: u32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

var<workgroup> acc_lanes: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let col = wid.x;
    let first = wid.y * p.block_rows;
    let end = min(first + p.block_rows, p.rows);
    var acc = 0.0;
    for (var r = first + lane; r < end; r += WG) { acc += a[r * p.cols + col]; }
    acc_lanes[lane] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lane < s) { acc_lanes[lane] += acc_lanes[lane + s]; }
        workgroupBarrier();
    }
    if (lane == 0u) { partial[wid.y * p.cols + col] = acc_lanes[0]; }
}
