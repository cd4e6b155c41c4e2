// Conv2D gradient with respect to the input, one invocation per input element.
// dx[b, iy, ix, c] = sum over (oy, ky) with oy*s + ky - pad_top == iy (same for x) and o of
//                    dy[b, oy, ox, o] * w[o, ky, kx, c]
// Params: shaders/common/conv_params.wgsl.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.n * p.h * p.w * p.c) { return; }
    let ci = idx % p.c;
    var r = idx / p.c;
    let ix = r % p.w;
    r = r / p.w;
    let iy = r % p.h;
    let b = r / p.h;
    var acc = 0.0;
    for (var ky = 0u; ky < p.kh; ky++) {
        let ty = i32(iy + p.pad_top) - i32(ky);
        // Stride 1 (uniform) needs no integer division, which lavapipe cannot vectorize.
        if (ty < 0 || (p.stride != 1u && ty % i32(p.stride) != 0)) { continue; }
        var oy = u32(ty);
        if (p.stride != 1u) { oy = oy / p.stride; }
        if (oy >= p.oh) { continue; }
        for (var kx = 0u; kx < p.kw; kx++) {
            let tx = i32(ix + p.pad_left) - i32(kx);
            if (tx < 0 || (p.stride != 1u && tx % i32(p.stride) != 0)) { continue; }
            var ox = u32(tx);
            if (p.stride != 1u) { ox = ox / p.stride; }
            if (ox >= p.ow) { continue; }
            let db = ((b * p.oh + oy) * p.ow + ox) * p.o;
            for (var oc = 0u; oc < p.o; oc++) {
                acc += dy[db + oc] * wt[((oc * p.kh + ky) * p.kw + kx) * p.c + ci];
            }
        }
    }
    dx[idx] = acc;
}
