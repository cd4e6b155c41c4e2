// Straight-through gradient of fake quant: dx = dy inside [nmin, nmax] (the nudged range of the
// element's channel, from fake_quant/nudge.wgsl), 0 outside.
struct Params { count: u32, channels: u32, inner: u32, _pad0: u32, qmin: f32, qmax: f32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> ranges: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.count) { return; }
    // Per-tensor (channels == 1, uniform) needs no integer division.
    var ch = 0u;
    if (p.channels > 1u) { ch = (idx / p.inner) % p.channels; }
    let n = nudge(ranges[2u * ch], ranges[2u * ch + 1u], p.qmin, p.qmax);
    let v = x[idx];
    dx[idx] = select(0.0, dy[idx], v >= n.nmin && v <= n.nmax);
}
