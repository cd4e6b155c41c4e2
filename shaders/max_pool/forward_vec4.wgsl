// Max pooling forward as max_pool/forward.wgsl, for c % 4 == 0: each invocation pools four
// consecutive channels of one window with vec4 loads and stores (a quarter of the index
// arithmetic and of the loads). Ties keep the first maximum, per channel, as the scalar kernel.
// The window and the sizes but the batch (C, K, STRIDE, H, W, OH, OW, PAD_TOP, PAD_LEFT) are fixed per layer when the
// pipeline is created (override constants, gpu::Specialization): the index arithmetic divides by
// constants.
override C: u32;
override K: u32;
override STRIDE: u32;
override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override PAD_TOP: u32;
override PAD_LEFT: u32;
struct Params { n: u32, h: u32, w: u32, c: u32, oh: u32, ow: u32, k: u32, stride: u32, pad_top: u32, pad_left: u32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> argmax: array<vec4<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    let c4 = C / 4u;
    if (idx >= p.n * OH * OW * c4) { return; }
    let ch4 = idx % c4;
    var r = idx / c4;
    let ox = r % OW;
    r = r / OW;
    let oy = r % OH;
    let b = r / OH;
    var best = vec4(-3.402823e38);
    var best_i = vec4(0u);
    var found = false;
    for (var ky = 0u; ky < K; ky++) {
        let iy = i32(oy * STRIDE + ky) - i32(PAD_TOP);
        if (iy < 0 || iy >= i32(H)) { continue; }
        for (var kx = 0u; kx < K; kx++) {
            let ix = i32(ox * STRIDE + kx) - i32(PAD_LEFT);
            if (ix < 0 || ix >= i32(W)) { continue; }
            let i4 = ((b * H + u32(iy)) * W + u32(ix)) * c4 + ch4;
            let v = x[i4];
            let take = v > best | vec4(!found);
            best = select(best, v, take);
            best_i = select(best_i, vec4(4u * i4) + vec4(0u, 1u, 2u, 3u), take);
            found = true;
        }
    }
    y[idx] = best;
    argmax[idx] = best_i;
}
