// The yardstick: a plain f32 matmul C[m, n] = A[m, k] B[k, n], all row-major. FROZEN: `qat bench`
// reports each training step's achieved GFLOP/s as a ratio to this kernel's, measured in the same
// process at 1024 x 1024 x 1024, so the ratio means the same thing on every machine and in every
// commit. Do not tune it; tune everything else.
//
// One workgroup of 64 lanes computes 16 rows of C. The A values are indexed by the workgroup id
// (and the loop counters), so every lane of a workgroup loads the same address; each lane owns a
// vec4 of columns of B and C. Needs m % 16 == 0 and n % 256 == 0.

struct Params { m: u32, n: u32, k: u32, _pad: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;

const ROWS: u32 = 16u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let n4 = p.n / 4u;
    let col = wid.x * 64u + lid.x;
    let row0 = wid.y * ROWS;
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < p.k; kk++) {
        let bv = b[kk * n4 + col];
        for (var r = 0u; r < ROWS; r++) {
            acc[r] += a[(row0 + r) * p.k + kk] * bv;
        }
    }
    for (var r = 0u; r < ROWS; r++) {
        c[(row0 + r) * n4 + col] = acc[r];
    }
}
