// TF fake quant (fake_quant_with_min_max_vars) per tensor or per channel.
// Element i belongs to channel (i / inner) % channels; ranges holds [min, max] per channel.
// Nudging (see docs/NUMERICS.md): scale = (max - min) / (qmax - qmin);
// zp = clamp(round_half_away(qmin - min / scale), qmin, qmax); nmin = (qmin - zp) * scale;
// nmax = (qmax - zp) * scale; y = floor((clamp(x, nmin, nmax) - nmin) / scale + 0.5) * scale + nmin.
struct Params { count: u32, channels: u32, inner: u32, _pad0: u32, qmin: f32, qmax: f32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> ranges: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * 64u;
    if (idx >= p.count) { return; }
    let ch = (idx / p.inner) % p.channels;
    let mn = ranges[2u * ch];
    let mx = ranges[2u * ch + 1u];
    var scale = (mx - mn) / (p.qmax - p.qmin);
    if (!(scale > 0.0)) { scale = 1.0; }
    let zp_from_min = p.qmin - mn / scale;
    // zp_from_min is >= qmin here, so floor(v + 0.5) is round-half-away-from-zero.
    let zp = clamp(floor(zp_from_min + 0.5), p.qmin, p.qmax);
    let nmin = (p.qmin - zp) * scale;
    let nmax = (p.qmax - zp) * scale;
    let inv_scale = 1.0 / scale;
    let clamped = clamp(x[idx], nmin, nmax);
    y[idx] = floor((clamped - nmin) * inv_scale + 0.5) * scale + nmin;
}
