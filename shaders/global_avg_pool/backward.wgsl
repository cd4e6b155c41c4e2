// Global average pooling backward: dx[b, i, ch] = dy[b, ch] / (h*w).
struct Params { n: u32, hw: u32, c: u32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.n * p.hw * p.c) { return; }
    let ch = idx % p.c;
    let b = idx / (p.hw * p.c);
    dx[idx] = dy[b * p.c + ch] / f32(p.hw);
}
