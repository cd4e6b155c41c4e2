// Widens a weighted layer's weight ranges so that its int32 biases fit (LiteRT's rule,
// qat_int8::quant::bias_scale, the same f32 operations): the half-range of range g becomes at
// least |b_c| / (s_in * limit) * half_steps for every channel c it covers, where s_in is the
// input's nudged scale and b the bias the int8 model holds: beta - s * moving_mean where batch
// norm is folded (`folded` 1; s is the fold scale), else the layer's own bias. One lane per
// range; with one range (per tensor) lane 0 covers every channel. `nudge` comes from
// fake_quant/nudge.wgsl.
struct Params { channels: u32, ranges: u32, folded: u32, _pad0: u32, limit: f32, half_steps: f32, act_qmin: f32, act_qmax: f32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input_range: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
// Batch norm's [gamma (C), beta (C)], its moving [mean, var] per channel and the fold scale.
@group(0) @binding(3) var<storage, read> affine: array<f32>;
@group(0) @binding(4) var<storage, read> moving: array<f32>;
@group(0) @binding(5) var<storage, read> fold_scale: array<f32>;
@group(0) @binding(6) var<storage, read_write> range: array<f32>;

fn bias_of(c: u32) -> f32 {
    if (p.folded == 1u) {
        return affine[p.channels + c] - fold_scale[c] * moving[2u * c];
    }
    return bias[c];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let g = gid.x;
    if (g >= p.ranges) { return; }
    let s_in = nudge(input_range[0], input_range[1], p.act_qmin, p.act_qmax).scale;
    var first = g;
    var last = g + 1u;
    if (p.ranges == 1u) {
        first = 0u;
        last = p.channels;
    }
    var half = range[2u * g + 1u];
    for (var c = first; c < last; c++) {
        half = max(half, abs(bias_of(c)) / (s_in * p.limit) * p.half_steps);
    }
    range[2u * g] = -half;
    range[2u * g + 1u] = half;
}
