// Fused softmax + cross-entropy, one invocation per sample. Writes the gradient of the batch-mean
// loss with respect to the logits, (softmax - onehot) / n, and per sample [loss, correct] where
// correct is 1 when the first maximal logit is the label.
struct Params { n: u32, classes: u32, _pad0: u32, _pad1: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read_write> per_sample: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let b = gid.x + gid.y * nwg.x * WG;
    if (b >= p.n) { return; }
    let base = b * p.classes;
    var mx = logits[base];
    var arg = 0u;
    for (var j = 1u; j < p.classes; j++) {
        let v = logits[base + j];
        if (v > mx) { mx = v; arg = j; }
    }
    var sum = 0.0;
    for (var j = 0u; j < p.classes; j++) { sum += exp(logits[base + j] - mx); }
    let label = labels[b];
    let inv_n = 1.0 / f32(p.n);
    for (var j = 0u; j < p.classes; j++) {
        let prob = exp(logits[base + j] - mx) / sum;
        dlogits[base + j] = (prob - select(0.0, 1.0, j == label)) * inv_n;
    }
    per_sample[2u * b] = log(sum) + mx - logits[base + label];
    per_sample[2u * b + 1u] = select(0.0, 1.0, arg == label);
}
