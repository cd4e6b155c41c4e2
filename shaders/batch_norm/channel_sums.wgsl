// Batch-norm reductions of a [rows, channels] tensor split over rows, for CPU-type adapters
// (gpu::Strategy::CpuLanes): each lane owns four consecutive channels (workgroup_id.y picks
// them) and sweeps the rows r = lane, lane + L, ... (L = every lane of the dispatch) with one
// vec4 load per row, then writes its sums to row `lane` of `partial`:
//   mode 0: sum x                                  (partial [L, channels]);
//   mode 1: sum (x - mean)^2, mean from stats[2ch]  (partial [L, channels]);
//   mode 2: sum dy * (x - mean) / sqrt(var + eps) and sum dy, the gradients of gamma and beta
//           (partial [L, 2 * channels]: gamma's, then beta's).
// batch_norm/statistics_finish.wgsl (modes 0, 1) or reduce/column_sum.wgsl (mode 2) then add the
// L rows in order. The same sums as batch_norm/statistics_blocks.wgsl and
// batch_norm/backward_affine.wgsl, grouped by lane rather than by block.
// The channel count is fixed per layer when the pipeline is created (an override constant,
// gpu::Specialization), so the branches on it and the channel arithmetic fold away.
override CHANNELS: u32;
struct Params { rows: u32, channels: u32, mode: u32, eps: f32, }
@group(0) @binding(0) var<uniform> p: Params;
// Whole vec4s (buffers are padded to them): one load of four channels when channels % 4 == 0,
// else one component at a time.
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

// Channels ch0 .. ch0 + 3 of row r of x (mode x = true) or dy; channels past the last read 0.
fn load(from_x: bool, r: u32, ch0: u32) -> vec4<f32> {
    let base = r * CHANNELS + ch0;
    if (CHANNELS % 4u == 0u) {
        if (from_x) { return x[base / 4u]; }
        return dy[base / 4u];
    }
    var v = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
        let i = base + j;
        if (ch0 + j < CHANNELS) {
            if (from_x) { v[j] = x[i / 4u][i % 4u]; } else { v[j] = dy[i / 4u][i % 4u]; }
        }
    }
    return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let ch0 = wid.y * 4u;
    let l = wid.x * WG + lane;
    let lanes = nwg.x * WG;
    var mean = vec4(0.0);
    var inv_std = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
        let ch = min(ch0 + j, CHANNELS - 1u);
        mean[j] = stats[2u * ch];
        inv_std[j] = inverseSqrt(stats[2u * ch + 1u] + p.eps);
    }
    var a = vec4(0.0);
    var b = vec4(0.0);
    for (var r = l; r < p.rows; r += lanes) {
        let v = load(true, r, ch0);
        if (p.mode == 0u) {
            a += v;
        } else if (p.mode == 1u) {
            let d = v - mean;
            a += d * d;
        } else {
            let g = load(false, r, ch0);
            a += g * (v - mean) * inv_std;
            b += g;
        }
    }
    let width = select(CHANNELS, 2u * CHANNELS, p.mode == 2u);
    for (var j = 0u; j < 4u; j++) {
        if (ch0 + j < CHANNELS) {
            partial[l * width + ch0 + j] = a[j];
            if (p.mode == 2u) { partial[l * width + CHANNELS + ch0 + j] = b[j]; }
        }
    }
}
