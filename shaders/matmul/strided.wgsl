// General strided matrix product with an optional bias row:
// c[m, n] = sum_k a[m*a_sm + k*a_sk] * b[k*b_sk + n*b_sn] (+ bias[n] when has_bias != 0)
// One invocation per output element. Dense forward, both dense gradients and the benchmark
// ceiling are this kernel with different strides.
struct Params {
    m: u32, n: u32, k: u32, has_bias: u32,
    a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.m * p.n) { return; }
    let col = idx % p.n;
    let row = idx / p.n;
    var acc = 0.0;
    if (p.has_bias != 0u) { acc = bias[col]; }
    var ai = row * p.a_sm;
    var bi = col * p.b_sn;
    for (var kk = 0u; kk < p.k; kk++) {
        acc += a[ai] * b[bi];
        ai += p.a_sk;
        bi += p.b_sk;
    }
    c[idx] = acc;
}
