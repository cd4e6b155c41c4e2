// Adds a batch's per-sample [loss, correct] pairs into running totals that stay on the GPU:
// totals = [loss_sum, correct_sum, samples, non_finite_flag]. One workgroup.
struct Params { n: u32, _pad0: u32, _pad1: u32, _pad2: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> per_sample: array<f32>;
@group(0) @binding(2) var<storage, read_write> totals: array<f32>;

var<workgroup> loss_part: array<f32, 64>;
var<workgroup> correct_part: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lane: u32) {
    var l = 0.0;
    var c = 0.0;
    for (var b = lane; b < p.n; b += 64u) {
        l += per_sample[2u * b];
        c += per_sample[2u * b + 1u];
    }
    loss_part[lane] = l;
    correct_part[lane] = c;
    workgroupBarrier();
    for (var s = 32u; s > 0u; s = s >> 1u) {
        if (lane < s) {
            loss_part[lane] += loss_part[lane + s];
            correct_part[lane] += correct_part[lane + s];
        }
        workgroupBarrier();
    }
    if (lane == 0u) {
        let batch_loss = loss_part[0];
        // NaN and infinity both fail this test; the flag is sticky until the host resets it.
        if (!(abs(batch_loss) <= 3.0e38)) { totals[3] = 1.0; }
        totals[0] += batch_loss;
        totals[1] += correct_part[0];
        totals[2] += f32(p.n);
    }
}
