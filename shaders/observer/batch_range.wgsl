// First stage of the activation range observer: workgroup g reduces its slice of the tensor to
// (min, max), written to partial[2g], partial[2g + 1]; observer/activation_range.wgsl reduces the
// partials and updates the range. Many workgroups share the tensor, so a GPU reduces it at full
// width (one workgroup for the whole tensor left all but one of its cores idle). The batch range
// is widened to include 0, as TF's observer does. Four values per load (buffers are whole
// vec4s); components past `count` are masked out (padding may hold anything).
struct Params { count: u32, mode: u32, decay: f32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

var<workgroup> lo: array<f32, WG>;
var<workgroup> hi: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let n4 = (p.count + 3u) / 4u;
    let per_group = (n4 + nwg.x - 1u) / nwg.x;
    let start = wid.x * per_group;
    let end = min(start + per_group, n4);
    var mn = vec4(0.0);
    var mx = vec4(0.0);
    for (var i = start + lane; i < end; i += WG) {
        let v = x[i];
        let valid = vec4(4u * i) + vec4(0u, 1u, 2u, 3u) < vec4(p.count);
        mn = min(mn, select(vec4(0.0), v, valid));
        mx = max(mx, select(vec4(0.0), v, valid));
    }
    lo[lane] = min(min(mn.x, mn.y), min(mn.z, mn.w));
    hi[lane] = max(max(mx.x, mx.y), max(mx.z, mx.w));
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lane < s) {
            lo[lane] = min(lo[lane], lo[lane + s]);
            hi[lane] = max(hi[lane], hi[lane + s]);
        }
        workgroupBarrier();
    }
    if (lane == 0u) {
        partial[2u * wid.x] = lo[0];
        partial[2u * wid.x + 1u] = hi[0];
    }
}
