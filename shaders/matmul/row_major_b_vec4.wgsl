// Matrix product for a row-major b with n % 4 == 0: c[m, n] = sum_k a[m*a_sm + k*a_sk] * b[k, n]
// (+ bias[n] when has_bias != 0). Each invocation computes a 4x4 block of c: 4 rows (the same
// for the whole workgroup, so the loads of a are uniform) by one vec4 of columns; b, bias and
// c are read and written as vec4. Same uniform as matmul/strided.wgsl (b_sk, b_sn unused).
struct Params {
    m: u32, n: u32, k: u32, has_bias: u32,
    a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> c: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let n4 = p.n / 4u;
    let col = gid.x;
    if (col >= n4) { return; }
    let row0 = wid.y * 4u;
    // Rows past the end read row m - 1 (in bounds) and are not stored.
    let r1 = min(row0 + 1u, p.m - 1u);
    let r2 = min(row0 + 2u, p.m - 1u);
    let r3 = min(row0 + 3u, p.m - 1u);
    var init = vec4<f32>(0.0);
    if (p.has_bias != 0u) { init = bias[col]; }
    var acc0 = init;
    var acc1 = init;
    var acc2 = init;
    var acc3 = init;
    for (var kk = 0u; kk < p.k; kk++) {
        let bv = b[kk * n4 + col];
        let ak = kk * p.a_sk;
        acc0 += a[row0 * p.a_sm + ak] * bv;
        acc1 += a[r1 * p.a_sm + ak] * bv;
        acc2 += a[r2 * p.a_sm + ak] * bv;
        acc3 += a[r3 * p.a_sm + ak] * bv;
    }
    c[row0 * n4 + col] = acc0;
    if (row0 + 1u < p.m) { c[(row0 + 1u) * n4 + col] = acc1; }
    if (row0 + 2u < p.m) { c[(row0 + 2u) * n4 + col] = acc2; }
    if (row0 + 3u < p.m) { c[(row0 + 3u) * n4 + col] = acc3; }
}
