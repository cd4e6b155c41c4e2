// Matrix product of a row-major a [m, k] and a transposed b (b row-major [n, k]), k % 4 == 0:
// c[m, n] = sum_k a[m, k] * b[n, k] (+ bias[n] when has_bias != 0): a dense layer's forward,
// y = x w^T. Both operands are read as vec4 along k, so each load moves four values. One
// invocation per element of c; the column n is workgroup_id.y, so the loads of b are the same
// for every lane of a workgroup. Same uniform as matmul/strided.wgsl (strides unused).
struct Params {
    m: u32, n: u32, k: u32, has_bias: u32,
    a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let row = gid.x;
    let col = wid.y;
    if (row >= p.m) { return; }
    let k4 = p.k / 4u;
    var acc = vec4<f32>(0.0);
    for (var kk = 0u; kk < k4; kk++) {
        acc += a[row * k4 + kk] * b[col * k4 + kk];
    }
    var s = (acc.x + acc.y) + (acc.z + acc.w);
    if (p.has_bias != 0u) { s += bias[col]; }
    c[row * p.n + col] = s;
}
