// Adds a batch's per-sample [loss, correct] pairs into running totals that stay on the GPU, and
// watches the training's health. totals (u32 words, `ops::loss::TotalsLayout`):
// [loss_sum (f32 bits), correct_sum (f32 bits), samples (f32 bits),
//  first step with a non-finite batch loss, first step whose mean batch loss exceeded
//  p.explode_limit, first step with a non-finite gradient, first with a non-finite weight, 0];
// a step word of 0 means "not seen". Adam writes words 5 and 6. One workgroup.
struct Params { n: u32, explode_limit: f32, _pad0: u32, _pad1: u32, }
struct Step { batch_start: u32, t: f32, lr: f32, step: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> per_sample: array<f32>;
@group(0) @binding(3) var<storage, read_write> totals: array<u32>;

var<workgroup> loss_part: array<f32, WG>;
var<workgroup> correct_part: array<f32, WG>;

// Exponent bits all set: infinity or NaN. Tested on the bits, which no compiler may fold away.
fn non_finite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lane: u32) {
    var l = 0.0;
    var c = 0.0;
    for (var b = lane; b < p.n; b += WG) {
        l += per_sample[2u * b];
        c += per_sample[2u * b + 1u];
    }
    loss_part[lane] = l;
    correct_part[lane] = c;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lane < s) {
            loss_part[lane] += loss_part[lane + s];
            correct_part[lane] += correct_part[lane + s];
        }
        workgroupBarrier();
    }
    if (lane == 0u) {
        let batch_loss = loss_part[0];
        if (non_finite(batch_loss) && totals[3] == 0u) { totals[3] = step.step; }
        if (!non_finite(batch_loss) && batch_loss > p.explode_limit * f32(p.n) && totals[4] == 0u) { totals[4] = step.step; }
        totals[0] = bitcast<u32>(bitcast<f32>(totals[0]) + batch_loss);
        totals[1] = bitcast<u32>(bitcast<f32>(totals[1]) + correct_part[0]);
        totals[2] = bitcast<u32>(bitcast<f32>(totals[2]) + f32(p.n));
    }
}
