// Global average pooling forward: y[b, ch] = mean over the h*w positions of x[b, :, :, ch].
// One invocation per (b, ch).
struct Params { n: u32, hw: u32, c: u32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.n * p.c) { return; }
    let ch = idx % p.c;
    let b = idx / p.c;
    var sum = 0.0;
    for (var i = 0u; i < p.hw; i++) { sum += x[(b * p.hw + i) * p.c + ch]; }
    y[idx] = sum / f32(p.hw);
}
