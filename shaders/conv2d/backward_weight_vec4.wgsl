// Conv2D gradient with respect to the weights for o % 4 == 0, as conv2d/backward_weight.wgsl
// but reading the four output channels of dy as one vec4. A split-K implicit GEMM:
// dw[o, k] = sum over output positions P of dy[P, o] * x_col[P, k], where k = (ky, kx, ci) is the
// flattened OHWI weight index within a filter (K = kh * kw * c taps) and
// x_col[P, (ky, kx, ci)] = x[b, oy*s + ky - pad_top, ox*s + kx - pad_left, ci] (0 in the padding).
//
// Each lane owns a register block of 4 output channels x 16 consecutive k (workgroup_id.z picks
// the block) and sweeps the positions P = lane, lane + L, ... (L = every lane of the dispatch):
// per position it loads 4 dy values and up to 16 x values and does 64 multiply-adds, where the
// direct form did two loads per multiply-add. Its partial sums go to row `lane` of `partial`
// ([L, o * K], OHWI), and reduce/column_sum.wgsl adds the L rows into dw, in a fixed order (the
// result does not depend on scheduling).
// Params: shaders/common/conv_params.wgsl.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

const OB: u32 = 4u;
const KB: u32 = 16u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let big_k = p.kh * p.kw * p.c;
    let kblocks = (big_k + KB - 1u) / KB;
    // The block is uniform across the workgroup.
    let o0 = (wid.z / kblocks) * OB;
    let k0 = (wid.z % kblocks) * KB;
    let nk = min(KB, big_k - k0);
    let no = min(OB, p.o - o0);
    let l = wid.x * WG + lane;
    let lanes = nwg.x * WG;
    // Decode k0 once: (ky0, kx0, ci0); the loop below steps through k incrementally.
    let ci0 = k0 % p.c;
    let kx0 = (k0 / p.c) % p.kw;
    let ky0 = k0 / (p.c * p.kw);
    var acc: array<vec4<f32>, 16>;
    let positions = p.n * p.oh * p.ow;
    for (var pos = l; pos < positions; pos += lanes) {
        let ox = pos % p.ow;
        let r = pos / p.ow;
        let oy = r % p.oh;
        let b = r / p.oh;
        let d = dy[(pos * p.o + o0) / 4u];
        var ci = ci0;
        var kx = kx0;
        var ky = ky0;
        for (var t = 0u; t < nk; t++) {
            let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
            let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
            if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
                acc[t] += x[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ci] * d;
            }
            ci += 1u;
            if (ci == p.c) {
                ci = 0u;
                kx += 1u;
                if (kx == p.kw) { kx = 0u; ky += 1u; }
            }
        }
    }
    let row = l * p.o * big_k;
    for (var j = 0u; j < no; j++) {
        for (var t = 0u; t < nk; t++) {
            partial[row + (o0 + j) * big_k + k0 + t] = acc[t][j];
        }
    }
}
