// Channel concatenation, one input at a time: copies x [pixels, c_in] into channels
// [offset, offset + c_in) of y [pixels, c_out].
struct Params { pixels: u32, c_in: u32, c_out: u32, offset: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.pixels * p.c_in) { return; }
    let ch = idx % p.c_in;
    let px = idx / p.c_in;
    y[px * p.c_out + p.offset + ch] = x[idx];
}
