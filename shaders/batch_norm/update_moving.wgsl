// Moving statistics: moving = momentum * moving + (1 - momentum) * batch, per channel, for
// [mean, var] pairs (momentum from ops::batch_norm::MOMENTUM).
struct Params { channels: u32, momentum: f32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> batch: array<f32>;
@group(0) @binding(2) var<storage, read_write> moving: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= 2u * p.channels) { return; }
    moving[i] = p.momentum * moving[i] + (1.0 - p.momentum) * batch[i];
}
