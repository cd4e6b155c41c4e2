// BN folding during QAT: per channel, s = gamma / sqrt(moving_var + eps) and 1 / s. The conv
// runs with weights w * s (fake-quantized: what the int8 model holds), and its output is
// multiplied by 1 / s before batch norm, so training still normalizes with batch statistics
// until BN is frozen (Krishnamoorthi 2018, section 3.2).
struct Params { channels: u32, eps: f32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> affine: array<f32>;
@group(0) @binding(2) var<storage, read> moving: array<f32>;
@group(0) @binding(3) var<storage, read_write> scale: array<f32>;
@group(0) @binding(4) var<storage, read_write> inv_scale: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if (c >= p.channels) { return; }
    let s = affine[c] / sqrt(moving[2u * c + 1u] + p.eps);
    scale[c] = s;
    inv_scale[c] = select(0.0, 1.0 / s, s != 0.0);
}
