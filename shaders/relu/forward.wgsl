// Capped ReLU forward: y = min(max(x, 0), cap). ReLU uses cap = f32 max, ReLU6 cap = 6.
struct Params { count: u32, cap: f32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.count) { return; }
    y[idx] = min(max(x[idx], 0.0), p.cap);
}
