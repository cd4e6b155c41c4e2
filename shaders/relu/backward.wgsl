// Capped ReLU backward: dx = dy where 0 < x < cap, else 0. x may be the forward's input or its
// output (the training step passes the output): y = min(max(x, 0), cap) is in (0, cap) exactly
// where x is. Sixteen values per lane as four vec4s, as the forward.
struct Params { count: u32, cap: f32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let n4 = (p.count + 3u) / 4u;
    for (var q = 0u; q < 4u; q++) {
        let e = 4u * i + q;
        if (e < n4) {
            let v = x[e];
            dx[e] = select(vec4(0.0), dy[e], v > vec4(0.0) & v < vec4(p.cap));
        }
    }
}
