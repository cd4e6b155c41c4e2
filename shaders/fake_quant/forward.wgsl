// TF fake quant (fake_quant_with_min_max_vars) per tensor or per channel; `nudge` comes from
// fake_quant/nudge.wgsl. Element i belongs to channel (i / inner) % channels; ranges holds
// [min, max] per channel. y = floor((clamp(x, nmin, nmax) - nmin) * (1 / scale) + 0.5) * scale + nmin.
// Buffers are whole vec4s (see gpu::buffers). Per tensor: one nudge, then sixteen values per
// lane as four vec4s with vector arithmetic (the same f32 operations on each component); per
// channel: one vec4 per lane, each component with its channel's range.
// The range layout (CHANNELS ranges, element i using range (i / INNER) % CHANNELS) is fixed
// when the pipeline is created (override constants, gpu::Specialization): the per-tensor and
// per-channel paths are chosen at compile time, not by a branch every lane evaluates.
override CHANNELS: u32;
override INNER: u32;
struct Params { count: u32, channels: u32, inner: u32, _pad0: u32, qmin: f32, qmax: f32, pass_above: f32, pass_below: f32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> ranges: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;

fn fake_quant(v: f32, n: Nudged) -> f32 {
    return floor((clamp(v, n.nmin, n.nmax) - n.nmin) * (1.0 / n.scale) + 0.5) * n.scale + n.nmin;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let n4 = (p.count + 3u) / 4u;
    if (CHANNELS == 1u) {
        // Per tensor (a constant branch): no integer division; four vec4s per lane.
        let n = nudge(ranges[0], ranges[1], p.qmin, p.qmax);
        let inv_scale = 1.0 / n.scale;
        for (var q = 0u; q < 4u; q++) {
            let e = 4u * i + q;
            if (e < n4) {
                let clamped = clamp(x[e], vec4(n.nmin), vec4(n.nmax));
                y[e] = floor((clamped - n.nmin) * inv_scale + 0.5) * n.scale + n.nmin;
            }
        }
        return;
    }
    if (i >= n4) { return; }
    let v = x[i];
    var out = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
        let ch = ((4u * i + j) / INNER) % CHANNELS;
        out[j] = fake_quant(v[j], nudge(ranges[2u * ch], ranges[2u * ch + 1u], p.qmin, p.qmax));
    }
    y[i] = out;
}
