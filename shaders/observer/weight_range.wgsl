// "Last value" symmetric weight range: one workgroup per channel (channel c owns the contiguous
// elements [c*inner, (c+1)*inner), i.e. axis 0 of OHWI or of a dense [out, in] matrix).
// range[2c] = -max|w|, range[2c+1] = +max|w|.
struct Params { channels: u32, inner: u32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> range: array<f32>;

var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let ch = wid.x;
    var m = 0.0;
    if (ch < p.channels) {
        for (var i = lane; i < p.inner; i += 64u) { m = max(m, abs(w[ch * p.inner + i])); }
    }
    part[lane] = m;
    workgroupBarrier();
    for (var s = 32u; s > 0u; s = s >> 1u) {
        if (lane < s) { part[lane] = max(part[lane], part[lane + s]); }
        workgroupBarrier();
    }
    if (ch < p.channels && lane == 0u) {
        range[2u * ch] = -part[0];
        range[2u * ch + 1u] = part[0];
    }
}
