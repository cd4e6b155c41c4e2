// Matrix product for a row-major b with n % 4 == 0: c[m, n] = sum_k a[m*a_sm + k*a_sk] * b[k, n]
// (+ bias[n] when has_bias != 0). Each invocation computes a 4x4 block of c: 4 rows by one vec4
// of columns, the blocks numbered column-fastest over the lanes (so a narrow c still fills
// every lane of a workgroup); b, bias and c are read and written as vec4.
// Same uniform as matmul/strided.wgsl (b_sk, b_sn unused).
// A_LAYOUT (fixed when the pipeline is created, gpu::Specialization) says how a is read:
// 0: one value at a time, at its strides;
// 1: a row-major with a_sm and k multiples of 4: as vec4s along k, four steps of k at a time
//    (4 + 4 loads for 16 vec4 multiply-adds, where one value at a time takes 4 + 1 for 4);
// 2: a column-major (a_sm == 1) with a_sk a multiple of 4 and at least m rounded up to 4: the
//    block's four rows at one k are one vec4 (1 + 1 loads for 4).
// Each sum adds its k terms in order whatever the layout.
override A_LAYOUT: u32;

struct Params {
    m: u32, n: u32, k: u32, has_bias: u32,
    a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
// Whole vec4s (buffers are padded to them); without A_VEC4, read one component at a time.
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> c: array<vec4<f32>>;

fn a_at(i: u32) -> f32 {
    return a[i / 4u][i % 4u];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n4 = p.n / 4u;
    let block = gid.x + gid.y * nwg.x * WG;
    if (block >= n4 * ((p.m + 3u) / 4u)) { return; }
    let col = block % n4;
    let row_block = block / n4;
    let row0 = row_block * 4u;
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
    if (A_LAYOUT == 1u) {
        let s4 = p.a_sm / 4u;
        for (var k4 = 0u; k4 < p.k / 4u; k4++) {
            let b0 = b[(4u * k4) * n4 + col];
            let b1 = b[(4u * k4 + 1u) * n4 + col];
            let b2 = b[(4u * k4 + 2u) * n4 + col];
            let b3 = b[(4u * k4 + 3u) * n4 + col];
            let a0 = a[row0 * s4 + k4];
            let a1 = a[r1 * s4 + k4];
            let a2 = a[r2 * s4 + k4];
            let a3 = a[r3 * s4 + k4];
            acc0 += a0.x * b0; acc0 += a0.y * b1; acc0 += a0.z * b2; acc0 += a0.w * b3;
            acc1 += a1.x * b0; acc1 += a1.y * b1; acc1 += a1.z * b2; acc1 += a1.w * b3;
            acc2 += a2.x * b0; acc2 += a2.y * b1; acc2 += a2.z * b2; acc2 += a2.w * b3;
            acc3 += a3.x * b0; acc3 += a3.y * b1; acc3 += a3.z * b2; acc3 += a3.w * b3;
        }
    } else if (A_LAYOUT == 2u) {
        let s4 = p.a_sk / 4u;
        for (var kk = 0u; kk < p.k; kk++) {
            let bv = b[kk * n4 + col];
            let av = a[kk * s4 + row_block];
            acc0 += av.x * bv;
            acc1 += av.y * bv;
            acc2 += av.z * bv;
            acc3 += av.w * bv;
        }
    } else {
        for (var kk = 0u; kk < p.k; kk++) {
            let bv = b[kk * n4 + col];
            let ak = kk * p.a_sk;
            acc0 += a_at(row0 * p.a_sm + ak) * bv;
            acc1 += a_at(r1 * p.a_sm + ak) * bv;
            acc2 += a_at(r2 * p.a_sm + ak) * bv;
            acc3 += a_at(r3 * p.a_sm + ak) * bv;
        }
    }
    c[row0 * n4 + col] = acc0;
    if (row0 + 1u < p.m) { c[(row0 + 1u) * n4 + col] = acc1; }
    if (row0 + 2u < p.m) { c[(row0 + 2u) * n4 + col] = acc2; }
    if (row0 + 3u < p.m) { c[(row0 + 3u) * n4 + col] = acc3; }
}
