// Straight-through gradient of fake quant: dx = dy inside [nmin, nmax] (the nudged range of the
// element's channel), 0 outside. Same channel layout and nudging as fake_quant/forward.wgsl.
struct Params { count: u32, channels: u32, inner: u32, _pad0: u32, qmin: f32, qmax: f32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> ranges: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * 64u;
    if (idx >= p.count) { return; }
    let ch = (idx / p.inner) % p.channels;
    let mn = ranges[2u * ch];
    let mx = ranges[2u * ch + 1u];
    var scale = (mx - mn) / (p.qmax - p.qmin);
    if (!(scale > 0.0)) { scale = 1.0; }
    let zp = clamp(floor(p.qmin - mn / scale + 0.5), p.qmin, p.qmax);
    let nmin = (p.qmin - zp) * scale;
    let nmax = (p.qmax - zp) * scale;
    let v = x[idx];
    dx[idx] = select(0.0, dy[idx], v >= nmin && v <= nmax);
}
