// Per-channel scaling y = x * s[i % channels] (NHWC, channel last). Used to un-scale a conv
// computed with BN-folded weights during QAT, and as its own (linear) gradient.
struct Params { count: u32, channels: u32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> s: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * 64u;
    if (idx >= p.count) { return; }
    y[idx] = x[idx] * s[idx % p.channels];
}
