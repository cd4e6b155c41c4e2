// Activation range observer, second stage: one workgroup of 256 lanes reduces the `count`
// (min, max) pairs observer/batch_range.wgsl wrote and updates range = [min, max, seen]. The
// first batch sets the range; after that mode 0 (moving average) does
// range -= (1 - decay) * (range - batch) and mode 1 (all values seen) keeps the running min and max.
struct Params { count: u32, mode: u32, decay: f32, _pad0: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> range: array<f32>;

var<workgroup> lo: array<f32, 256>;
var<workgroup> hi: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lane: u32) {
    var mn = 0.0;
    var mx = 0.0;
    for (var i = lane; i < p.count; i += 256u) {
        mn = min(mn, partial[2u * i]);
        mx = max(mx, partial[2u * i + 1u]);
    }
    lo[lane] = mn;
    hi[lane] = mx;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lane < s) {
            lo[lane] = min(lo[lane], lo[lane + s]);
            hi[lane] = max(hi[lane], hi[lane + s]);
        }
        workgroupBarrier();
    }
    if (lane == 0u) {
        let bmin = lo[0];
        let bmax = hi[0];
        if (range[2] == 0.0) {
            range[0] = bmin;
            range[1] = bmax;
            range[2] = 1.0;
        } else if (p.mode == 0u) {
            range[0] -= (1.0 - p.decay) * (range[0] - bmin);
            range[1] -= (1.0 - p.decay) * (range[1] - bmax);
        } else {
            range[0] = min(range[0], bmin);
            range[1] = max(range[1], bmax);
        }
    }
}
