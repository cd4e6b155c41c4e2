// Builds one batch (or one micro-batch of a step's batch) on the GPU from a resident u8 data
// set: sample b is order[step.batch_start + offset + b], offset being the micro-batch's first
// position in the step's batch; pixels are unpacked from 4-per-u32 words and fed as
// (p / 255 - mean[c]) / std[c] (norm holds the means, then the standard deviations).
// With augmentation (training only), each sample is mirrored left-right when its random bit is
// set and shifted by up to `pad` pixels in each direction, the uncovered border reading pixel 0:
// a random crop of the image padded with zeros. The random bits come from hashing the seed, the
// global step and the position in the step's batch, so a run replays exactly (ops::gather::twin).
// The sample size (PIXELS), CHANNELS and whether to augment (AUGMENT) are fixed when the
// pipeline is created: without augmentation and with PIXELS % 4 == 0 a lane unpacks one word,
// four pixels, with constant divisors; otherwise one lane per pixel.
override PIXELS: u32;
override CHANNELS: u32;
override AUGMENT: bool;
struct Params { batch: u32, pixels: u32, height: u32, width: u32, channels: u32, pad: u32, flip: u32, seed: u32, offset: u32, _pad0: u32, _pad1: u32, _pad2: u32, }
struct Step { batch_start: u32, t: f32, lr: f32, step: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> images: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read> order: array<u32>;
@group(0) @binding(5) var<storage, read> norm: array<f32>;
@group(0) @binding(6) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> y: array<u32>;

// PCG-style integer hash (the twin has the same).
fn hash(v: u32) -> u32 {
    let s = v * 747796405u + 2891336453u;
    let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
    return (w >> 22u) ^ w;
}

fn normalized(value: u32, c: u32) -> f32 {
    return (f32(value) / 255.0 - norm[c]) / norm[CHANNELS + c];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (!AUGMENT && PIXELS % 4u == 0u) {
        // One word of four pixels (max(.., 1): valid WGSL where this path is not taken).
        let words = max(PIXELS / 4u, 1u);
        if (idx >= p.batch * words) { return; }
        let b = idx / words;
        let word = idx % words;
        let sample = order[step.batch_start + p.offset + b];
        let packed = images[sample * words + word];
        var v = vec4(0.0);
        for (var j = 0u; j < 4u; j++) {
            v[j] = normalized((packed >> (8u * j)) & 255u, (4u * word + j) % CHANNELS);
        }
        x[idx] = v;
        if (word == 0u) { y[b] = labels[sample]; }
        return;
    }
    if (idx >= p.batch * PIXELS) { return; }
    let b = idx / PIXELS;
    let px = idx % PIXELS;
    let sample = order[step.batch_start + p.offset + b];
    let c = px % CHANNELS;
    var value = 0u;
    if (!AUGMENT) {
        let byte = sample * PIXELS + px;
        value = (images[byte / 4u] >> (8u * (byte % 4u))) & 255u;
    } else {
        let r = hash(hash(p.seed ^ hash(step.step)) ^ (p.offset + b));
        let col = (px / CHANNELS) % p.width;
        let row = px / (CHANNELS * p.width);
        var sx = i32(col);
        if (p.flip != 0u && (r & 1u) == 1u) { sx = i32(p.width) - 1 - sx; }
        let span = 2u * p.pad + 1u;
        sx = sx + i32((r >> 1u) % span) - i32(p.pad);
        let sy = i32(row) + i32((r >> 12u) % span) - i32(p.pad);
        if (sx >= 0 && sy >= 0 && sx < i32(p.width) && sy < i32(p.height)) {
            let byte = sample * PIXELS + (u32(sy) * p.width + u32(sx)) * CHANNELS + c;
            value = (images[byte / 4u] >> (8u * (byte % 4u))) & 255u;
        }
    }
    x[idx / 4u][idx % 4u] = normalized(value, c);
    if (px == 0u) { y[b] = labels[sample]; }
}
