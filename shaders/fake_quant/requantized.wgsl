// Fake quant of a conv or depthwise output as the int8 model requantizes it, with LiteRT's
// double rounding (qat_int8::quant::double_rounding; twin Nudged::fake_quant_with_margin): the
// per-tensor range's TF fake quant (fake_quant/forward.wgsl's formula), with the tie of the
// rounding widened by the channel's margin on the side away from the zero point:
// u = (clamp(x, nmin, nmax) - nmin) / scale; y = floor(u + (0.5 +- margin)) * scale + nmin,
// + where u >= zp - qmin. The backward is fake_quant/backward.wgsl's (the same range).
// margins (from fake_quant/double_rounding_margin.wgsl, padded to whole vec4s) hold one margin
// (MARGINS == 1: weights quantized per tensor) or one per channel of the channel-last output
// (MARGINS == channels). Sixteen values per lane as four vec4s, a stride apart.
override MARGINS: u32;
struct Params { count: u32, channels: u32, inner: u32, _pad0: u32, qmin: f32, qmax: f32, pass_above: f32, pass_below: f32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> range: array<f32>;
@group(0) @binding(3) var<storage, read> margins: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;

// Margin groups: vec4s e and e + GROUPS * k of the channel-last output have the same margins
// where MARGINS % 4 == 0; one group where MARGINS == 1.
override GROUPS: u32 = select(1u, max(MARGINS / 4u, 1u), MARGINS % 4u == 0u);

// The margins of the four values of vec4 e.
fn margins_of(e: u32) -> vec4<f32> {
    if (MARGINS == 1u) {
        return vec4(margins[0].x);
    }
    if (MARGINS % 4u == 0u) {
        return margins[e % GROUPS];
    }
    var m = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
        let c = (4u * e + j) % MARGINS;
        m[j] = margins[c / 4u][c % 4u];
    }
    return m;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let n4 = (p.count + 3u) / 4u;
    // Lane i does vec4s i, i + stride, i + 2 stride, i + 3 stride; the stride is a multiple of
    // GROUPS, so the four share their margins (one load).
    let stride = ((n4 + 3u) / 4u + GROUPS - 1u) / GROUPS * GROUPS;
    if (i >= stride) { return; }
    let n = nudge(range[0], range[1], p.qmin, p.qmax);
    let inv_scale = 1.0 / n.scale;
    let shared_margins = margins_of(i);
    for (var q = 0u; q < 4u; q++) {
        let e = i + q * stride;
        if (e < n4) {
            let u = (clamp(x[e], vec4(n.nmin), vec4(n.nmax)) - n.nmin) * inv_scale;
            var m = shared_margins;
            if (MARGINS != 1u && MARGINS % 4u != 0u) { m = margins_of(e); }
            let away = select(-m, m, u >= vec4(n.zp));
            y[e] = floor(u + (0.5 + away)) * n.scale + n.nmin;
        }
    }
}
