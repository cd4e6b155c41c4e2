// FULLY_CONNECTED on int8, as qat_int8::interpreter::fully_connected: per output
// acc = bias[o] + sum_i w[o, i] * (x[i] - in_zp), then the float64 rescale
// round_half_away(f64(acc) * m) (emulated exactly: q8_fc_rescale) + out_zp (saturating),
// clamped. The sizes are fixed per pipeline (override constants).
// The weights are 16-byte blocks [K16, UNITS] (ops::int8::fc_weight_blocks): block (k, o) holds
// w[o, 16 k .. 16 k + 15], zero past the last input, so each is four q8_dot4 with 16 inputs
// (dot4I8Packed where the adapter has it: the "dot4" variants); the zero-point term comes
// with the bias: folded_bias[o] = bias[o] - in_zp * sum_i w[o, i] (ops::int8::fc_folded_bias,
// wrapping i32 like the sums here: the reference's accumulator fits in i32, so the wrapped sum
// is exact).
// With FOUR_IMAGES (a CPU-type adapter and UNITS <= 16: ops::int8::fully_connected_four_images)
// a lane computes every unit of four consecutive images (each weight block feeds four images;
// 4 UNITS outputs are whole words); else one lane per output word (more lanes, for a GPU).
override INPUTS: u32;
override UNITS: u32;
override FOUR_IMAGES: bool;
override K16: u32 = (INPUTS + 15u) / 16u;

struct Params {
    batch: u32, inputs: u32, units: u32, in_zp: i32,
    out_zp: i32, clamp_min: i32, clamp_max: i32, m_exp: i32,
    m_lo: u32, m_hi: u32, _pad0: u32, _pad1: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> folded_bias: array<i32>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;

fn x_word(i: u32) -> u32 { return x[i / 4u][i % 4u]; }

// Inputs 16 k .. 16 k + 15 of image b (past the last input: whatever the buffer holds there,
// met by zero weights).
fn x16(b: u32, k: u32) -> vec4<u32> {
    let start = b * INPUTS + 16u * k;
    if (INPUTS % 16u == 0u) { return x[start / 16u]; }
    let w0 = start / 4u;
    if (INPUTS % 4u == 0u) {
        return vec4<u32>(x_word(w0), x_word(w0 + 1u), x_word(w0 + 2u), x_word(w0 + 3u));
    }
    // Unaligned: each word from two neighbours.
    let s = 8u * (start % 4u);
    let a = vec4<u32>(x_word(w0), x_word(w0 + 1u), x_word(w0 + 2u), x_word(w0 + 3u));
    let n = vec4<u32>(a.yzw, x_word(w0 + 4u));
    return select((a >> vec4<u32>(s)) | (n << vec4<u32>(32u - s)), a, s == 0u);
}

fn dot16(a: vec4<u32>, w: vec4<u32>) -> i32 {
    return q8_dot4(a.x, w.x) + q8_dot4(a.y, w.y) + q8_dot4(a.z, w.z) + q8_dot4(a.w, w.w);
}

fn finish(acc: i32) -> i32 {
    let scaled = q8_fc_rescale(acc, vec2<u32>(p.m_lo, p.m_hi), p.m_exp);
    return clamp(q8_add_sat(scaled, p.out_zp), p.clamp_min, p.clamp_max);
}

// Every unit of images 4 g .. 4 g + 3 (FOUR_IMAGES, so UNITS <= 16): acc[o] holds unit o of the
// four images.
// Images past the batch read image 0 and their bytes land in the output's padding or are not
// stored.
fn four_images(g: u32) {
    var img = vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u);
    img = select(vec4<u32>(0u), img, img < vec4<u32>(p.batch));
    var acc: array<vec4<i32>, 16>;
    for (var o = 0u; o < UNITS; o++) {
        acc[o] = vec4<i32>(folded_bias[o]);
    }
    for (var k = 0u; k < K16; k++) {
        let x0 = x16(img.x, k);
        let x1 = x16(img.y, k);
        let x2 = x16(img.z, k);
        let x3 = x16(img.w, k);
        for (var o = 0u; o < UNITS; o++) {
            let w = weights[k * UNITS + o];
            acc[o] += vec4<i32>(dot16(x0, w), dot16(x1, w), dot16(x2, w), dot16(x3, w));
        }
    }
    // The 4 UNITS output bytes are words g UNITS .. g UNITS + UNITS - 1.
    let words = (p.batch * UNITS + 3u) / 4u;
    for (var w = 0u; w < UNITS; w++) {
        if (g * UNITS + w >= words) { break; }
        var v = vec4<i32>(0);
        for (var e = 0u; e < 4u; e++) {
            let k = 4u * w + e;
            v[e] = finish(acc[k % UNITS][k / UNITS]);
        }
        y[g * UNITS + w] = q8_pack(v);
    }
}

fn value(idx: u32) -> i32 {
    let o = idx % UNITS;
    let b = idx / UNITS;
    var acc = folded_bias[o];
    for (var k = 0u; k < K16; k++) {
        acc += dot16(x16(b, k), weights[k * UNITS + o]);
    }
    return finish(acc);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let lane = gid.x + gid.y * nwg.x * WG;
    if (FOUR_IMAGES) {
        if (lane < (p.batch + 3u) / 4u) { four_images(lane); }
        return;
    }
    let total = p.batch * UNITS;
    if (lane * 4u >= total) { return; }
    var v = vec4<i32>(0);
    for (var k = 0u; k < 4u; k++) {
        if (lane * 4u + k < total) { v[k] = value(lane * 4u + k); }
    }
    y[lane] = q8_pack(v);
}
