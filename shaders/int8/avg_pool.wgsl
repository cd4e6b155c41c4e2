// AVERAGE_POOL_2D on an int8 NHWC batch, as qat_int8::interpreter::average_pool: the sum of the
// raw values over in-bounds taps only, divided by their count rounding half away from zero
// (truncating division after adding or subtracting count / 2), clamped. One lane per word.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

fn x_at(i: u32) -> i32 { return q8_byte(x[i / 4u], i % 4u); }

fn value(idx: u32) -> i32 {
    let ch = idx % p.c;
    let pix = idx / p.c;
    let ox = pix % p.ow;
    let oy = (pix / p.ow) % p.oh;
    let b = pix / (p.ow * p.oh);
    var acc = 0;
    var count = 0;
    for (var ky = 0u; ky < p.kh; ky++) {
        let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
        for (var kx = 0u; kx < p.kw; kx++) {
            let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
            if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
                acc += x_at(((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch);
                count += 1;
            }
        }
    }
    count = max(count, 1);
    // WGSL's i32 division truncates toward zero, as the reference's.
    let avg = select((acc - count / 2) / count, (acc + count / 2) / count, acc > 0);
    return clamp(avg, p.clamp_min, p.clamp_max);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let word = gid.x + gid.y * nwg.x * WG;
    let total = p.batch * p.oh * p.ow * p.c;
    if (word * 4u >= total) { return; }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (word * 4u + k < total) { v[k] = value(word * 4u + k); }
    }
    y[word] = q8_pack(v);
}
