// TF fake quant (fake_quant_with_min_max_vars) per tensor or per channel; `nudge` comes from
// fake_quant/nudge.wgsl. Element i belongs to channel (i / inner) % channels; ranges holds
// [min, max] per channel. y = floor((clamp(x, nmin, nmax) - nmin) * (1 / scale) + 0.5) * scale + nmin.
struct Params { count: u32, channels: u32, inner: u32, _pad0: u32, qmin: f32, qmax: f32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> ranges: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.count) { return; }
    // Per-tensor (channels == 1, uniform) needs no integer division.
    var ch = 0u;
    if (p.channels > 1u) { ch = (idx / p.inner) % p.channels; }
    let n = nudge(ranges[2u * ch], ranges[2u * ch + 1u], p.qmin, p.qmax);
    let inv_scale = 1.0 / n.scale;
    let clamped = clamp(x[idx], n.nmin, n.nmax);
    y[idx] = floor((clamped - n.nmin) * inv_scale + 0.5) * n.scale + n.nmin;
}
