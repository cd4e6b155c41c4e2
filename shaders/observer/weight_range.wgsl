// "Last value" symmetric weight range, one workgroup per channel. Element i belongs to channel
// (i / inner) % channels: axis 0 of OHWI or of a dense [out, in] matrix has inner = the row
// length; the last axis of depthwise [KH, KW, C] has inner = 1; per tensor, channels = 1.
// range[2c] = -max|w|, range[2c+1] = +max|w| over the channel's elements.
struct Params { channels: u32, inner: u32, count: u32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> range: array<f32>;

var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let ch = wid.x;
    var m = 0.0;
    if (ch < p.channels) {
        // The channel's elements: (outer * channels + ch) * inner + r.
        let per_channel = p.count / p.channels;
        for (var j = lane; j < per_channel; j += WG) {
            let outer = j / p.inner;
            let r = j % p.inner;
            m = max(m, abs(w[(outer * p.channels + ch) * p.inner + r]));
        }
    }
    part[lane] = m;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lane < s) { part[lane] = max(part[lane], part[lane + s]); }
        workgroupBarrier();
    }
    if (ch < p.channels && lane == 0u) {
        range[2u * ch] = -part[0];
        range[2u * ch + 1u] = part[0];
    }
}
