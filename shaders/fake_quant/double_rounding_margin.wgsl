// The double-rounding margin of each output channel of a conv or depthwise layer
// (qat_int8::quant::double_rounding::margin_of_scales, the same f32 operations): from the
// nudged scales of its input, its weights (one range per channel, or one for all) and its
// output, M = s_in * s_w / s_out = q * 2^e with q in [0.5, 1) (frexp), and the margin is 2^(e-1)
// where e <= -1, else 0. One lane per channel; `nudge` comes from fake_quant/nudge.wgsl.
struct Params { channels: u32, weight_ranges: u32, _pad0: u32, _pad1: u32, act_qmin: f32, act_qmax: f32, weight_qmin: f32, weight_qmax: f32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input_range: array<f32>;
@group(0) @binding(2) var<storage, read> weight_ranges: array<f32>;
@group(0) @binding(3) var<storage, read> output_range: array<f32>;
@group(0) @binding(4) var<storage, read_write> margins: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if (c >= p.channels) { return; }
    let g = select(c, 0u, p.weight_ranges == 1u);
    let s_in = nudge(input_range[0], input_range[1], p.act_qmin, p.act_qmax).scale;
    let s_w = nudge(weight_ranges[2u * g], weight_ranges[2u * g + 1u], p.weight_qmin, p.weight_qmax).scale;
    let s_out = nudge(output_range[0], output_range[1], p.act_qmin, p.act_qmax).scale;
    let m = s_in * s_w / s_out;
    var margin = 0.0;
    if (m > 0.0 && m <= 3.4028235e38) {
        let e = frexp(m).exp;
        if (e <= -1) { margin = ldexp(1.0, e - 1); }
    }
    margins[c] = margin;
}
