// Capped ReLU backward: dx = dy where 0 < x < cap (the forward input), else 0.
struct Params { count: u32, cap: f32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.count) { return; }
    let v = x[idx];
    dx[idx] = select(0.0, dy[idx], v > 0.0 && v < p.cap);
}
