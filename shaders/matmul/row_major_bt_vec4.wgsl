// Matrix product of a row-major a [m, k] and a transposed b (b row-major [n, k]), k % 4 == 0:
// c[m, n] = sum_k a[m, k] * b[n, k] (+ bias[n] when has_bias != 0): a dense layer's forward,
// y = x w^T. Both operands are read as vec4 along k, so each load moves four values.
// The number of columns N is fixed per layer when the pipeline is created (an override
// constant, gpu::Specialization). One invocation per row of c and block of up to 16 columns
// (workgroup_id.y): per vec4 of k it loads a's once and b's once per column, into one vec4
// accumulator per column (a register block of 1 x CB), so a is read once per block rather
// than once per column. Same uniform as matmul/strided.wgsl (strides unused).
override N: u32;
// Columns per block.
override CB: u32 = min(16u, N);

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
    if (row >= p.m) { return; }
    // With one block (N <= 16) it is block 0, a constant the compiler folds.
    let c0 = select(wid.y * CB, 0u, N == CB);
    let cols = min(CB, N - c0);
    let k4 = p.k / 4u;
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k4; kk++) {
        let av = a[row * k4 + kk];
        for (var j = 0u; j < cols; j++) {
            acc[j] += av * b[(c0 + j) * k4 + kk];
        }
    }
    for (var j = 0u; j < cols; j++) {
        var s = (acc[j].x + acc[j].y) + (acc[j].z + acc[j].w);
        if (p.has_bias != 0u) { s += bias[c0 + j]; }
        c[row * N + c0 + j] = s;
    }
}
