// Max pooling backward as max_pool/backward.wgsl for non-overlapping windows (k == stride) and
// c % 4 == 0: each invocation owns four consecutive channels of one window (extended to the
// edge for the last window of a row or column) and writes them with vec4 stores.
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
@group(0) @binding(1) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> argmax: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4<f32>>;

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
    let g = dy[idx];
    let arg = argmax[idx];
    let y_start = u32(max(i32(oy * K) - i32(PAD_TOP), 0));
    let x_start = u32(max(i32(ox * K) - i32(PAD_LEFT), 0));
    let y_end = select(oy * K + K - PAD_TOP, H, oy + 1u == OH);
    let x_end = select(ox * K + K - PAD_LEFT, W, ox + 1u == OW);
    for (var iy = y_start; iy < y_end; iy++) {
        for (var ix = x_start; ix < x_end; ix++) {
            let i4 = ((b * H + iy) * W + ix) * c4 + ch4;
            dx[i4] = select(vec4(0.0), g, vec4(4u * i4) + vec4(0u, 1u, 2u, 3u) == arg);
        }
    }
}
