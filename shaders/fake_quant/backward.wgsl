// Straight-through gradient of fake quant: dx = dy inside [nmin, nmax] (the nudged range of the
// element's channel, from fake_quant/nudge.wgsl), 0 outside. Per tensor, sixteen values per
// lane as four vec4s; per channel, one vec4 per lane (as the forward).
struct Params { count: u32, channels: u32, inner: u32, _pad0: u32, qmin: f32, qmax: f32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> ranges: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dx: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let n4 = (p.count + 3u) / 4u;
    if (p.channels == 1u) {
        // Per tensor (uniform branch): no integer division; four vec4s per lane.
        let n = nudge(ranges[0], ranges[1], p.qmin, p.qmax);
        for (var q = 0u; q < 4u; q++) {
            let e = 4u * i + q;
            if (e < n4) {
                let v = x[e];
                dx[e] = select(vec4(0.0), dy[e], v >= vec4(n.nmin) & v <= vec4(n.nmax));
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
            let ch = ((4u * i + j) / p.inner) % p.channels;
            let n = nudge(ranges[2u * ch], ranges[2u * ch + 1u], p.qmin, p.qmax);
            lo[j] = n.nmin;
            hi[j] = n.nmax;
        }
    }
    dx[i] = select(vec4(0.0), dy[i], v >= lo & v <= hi);
}
