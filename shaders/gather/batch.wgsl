// Builds one batch on the GPU from a resident u8 data set: sample b of the batch is
// order[step.batch_start + b]; pixels are unpacked from 4-per-u32 words and scaled to [0, 1].
struct Params { batch: u32, pixels: u32, _pad0: u32, _pad1: u32, }
struct Step { batch_start: u32, t: f32, lr: f32, step: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> images: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read> order: array<u32>;
@group(0) @binding(5) var<storage, read_write> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.batch * p.pixels) { return; }
    let b = idx / p.pixels;
    let px = idx % p.pixels;
    let sample = order[step.batch_start + b];
    let byte = sample * p.pixels + px;
    let word = images[byte / 4u];
    x[idx] = f32((word >> (8u * (byte % 4u))) & 255u) / 255.0;
    if (px == 0u) { y[b] = labels[sample]; }
}
