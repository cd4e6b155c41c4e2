// Per-channel scaling y = x * s[(i / inner) % channels]: inner = 1 scales the last axis (NHWC
// activations, depthwise weights [KH, KW, C]); inner = KH*KW*I scales axis 0 of OHWI weights.
// Used for BN folding during QAT, and as its own (linear) gradient. Four values per lane
// (buffers are whole vec4s, see gpu::buffers), each with its own channel; when they are four
// consecutive channels (INNER = 1, CHANNELS % 4 == 0, a constant branch) one vec4 load of s.
// Lanes stride over the vec4s (gpu::Grid::strided).
// The channel count and run length are fixed per layer when the pipeline is created
// (override constants, gpu::Specialization), so the branches on them and the channel
// arithmetic fold away.
override CHANNELS: u32;
override INNER: u32;
struct Params { count: u32, channels: u32, inner: u32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> s: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n4 = (p.count + 3u) / 4u;
    let lanes = nwg.x * nwg.y * WG;
    if (INNER == 1u && CHANNELS % 4u == 0u) {
        for (var i = gid.x + gid.y * nwg.x * WG; i < n4; i += lanes) {
            y[i] = x[i] * s[channel_of(4u * i, CHANNELS) / 4u];
        }
        return;
    }
    for (var i = gid.x + gid.y * nwg.x * WG; i < n4; i += lanes) {
        var scale = vec4(0.0);
        for (var j = 0u; j < 4u; j++) {
            let idx = 4u * i + j;
            var ch = 0u;
            if (INNER == 1u) { ch = channel_of(idx, CHANNELS); } else { ch = (idx / INNER) % CHANNELS; }
            scale[j] = s[ch / 4u][ch % 4u];
        }
        y[i] = x[i] * scale;
    }
}
