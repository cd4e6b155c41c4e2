// Conv2D weights from OHWI [o, K] (K = kh * kw * c) to [K, o4 * 4], o4 = ceil(o / 4), zero past
// `o`: the layout conv2d/forward.wgsl reads, four output channels per vec4 load. Recorded
// before each forward (the weights change every step); one invocation per element written.
// Params: shaders/common/conv_params.wgsl.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> wk: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let big_k = p.kh * p.kw * p.c;
    let width = 4u * ((p.o + 3u) / 4u);
    if (i >= big_k * width) { return; }
    let oc = i % width;
    let k = i / width;
    var v = 0.0;
    if (oc < p.o) { v = w[oc * big_k + k]; }
    wk[i] = v;
}
