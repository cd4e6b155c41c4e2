// Gradient accumulation over the micro-batches of a step: dst = ((keep ? dst : 0) + src) * scale.
// The first micro-batch copies its gradient into the accumulator (keep 0), later ones add theirs
// (keep 1), and the last sums the accumulator into its own gradient scaled by 1 / micro-batches
// (the mean over the step's batch), where the optimizer reads it. Four values per lane.
struct Params { count: u32, keep: u32, scale: f32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * WG;
    if (e >= (p.count + 3u) / 4u) { return; }
    var acc = vec4(0.0);
    if (p.keep != 0u) { acc = dst[e]; }
    dst[e] = (acc + src[e]) * p.scale;
}
