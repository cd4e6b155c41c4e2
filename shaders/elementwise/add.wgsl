// Elementwise sum y = a + b: the forward of Add, and how gradients of a tensor with several
// consumers are summed. Sixteen values per lane as four vec4s (buffers are whole vec4s, see
// gpu::buffers).
struct Params { count: u32, _pad0: u32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let n4 = (p.count + 3u) / 4u;
    for (var q = 0u; q < 4u; q++) {
        let e = 4u * i + q;
        if (e < n4) { y[e] = a[e] + b[e]; }
    }
}
