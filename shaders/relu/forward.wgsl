// Capped ReLU forward: y = min(max(x, 0), cap). ReLU uses cap = f32 max, ReLU6 cap = 6.
// Sixteen values per lane, as four vec4s (buffers are whole vec4s, see gpu::buffers): lavapipe
// pays per load and per invocation, so each lane moves four values per load and does four loads.
struct Params { count: u32, cap: f32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let n4 = (p.count + 3u) / 4u;
    for (var q = 0u; q < 4u; q++) {
        let e = 4u * i + q;
        if (e < n4) { y[e] = min(max(x[e], vec4(0.0)), vec4(p.cap)); }
    }
}
