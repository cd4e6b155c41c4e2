// Straight-through gradient of fake quant: dx = dy inside [nmin, nmax] (the nudged range of the
// element's channel, from fake_quant/nudge.wgsl), 0 outside. The gradient of a ReLU whose
// output x is can be folded in: dx is also 0 unless pass_above < x < pass_below ((0, cap) for
// the ReLU, (-f32 max, f32 max) for none). Per tensor, sixteen values per lane as four vec4s;
// per channel, one vec4 per lane (as the forward).
// The range layout (CHANNELS ranges, element i using range (i / INNER) % CHANNELS) is fixed
// when the pipeline is created (override constants, gpu::Specialization): the per-tensor and
// per-channel paths are chosen at compile time, not by a branch every lane evaluates.
override CHANNELS: u32;
override INNER: u32;
struct Params { count: u32, channels: u32, inner: u32, _pad0: u32, qmin: f32, qmax: f32, pass_above: f32, pass_below: f32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> ranges: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dx: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let n4 = (p.count + 3u) / 4u;
    if (CHANNELS == 1u) {
        // Per tensor (a constant branch): no integer division; four vec4s per lane.
        let n = nudge(ranges[0], ranges[1], p.qmin, p.qmax);
        for (var q = 0u; q < 4u; q++) {
            let e = 4u * i + q;
            if (e < n4) {
                let v = x[e];
                let inside = v >= vec4(n.nmin) & v <= vec4(n.nmax);
                let relu = v > vec4(p.pass_above) & v < vec4(p.pass_below);
                dx[e] = select(vec4(0.0), dy[e], inside & relu);
            }
        }
        return;
    }
    if (i >= n4) { return; }
    let v = x[i];
    var lo = vec4(0.0);
    var hi = vec4(0.0);
    {
        for (var j = 0u; j < 4u; j++) {
            let ch = ((4u * i + j) / INNER) % CHANNELS;
            let n = nudge(ranges[2u * ch], ranges[2u * ch + 1u], p.qmin, p.qmax);
            lo[j] = n.nmin;
            hi[j] = n.nmax;
        }
    }
    dx[i] = select(vec4(0.0), dy[i], v >= lo & v <= hi & v > vec4(p.pass_above) & v < vec4(p.pass_below));
}
