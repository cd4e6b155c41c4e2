// Adam update in Keras's form: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t);
// m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2; w -= lr_t * m / (sqrt(v) + eps).
// The step number t and the learning rate lr come from the per-step uniform that the host
// writes once per step (so schedules cost nothing at record time). A non-finite gradient or
// updated weight records the step in the totals' health words (see loss/accumulate.wgsl):
// word 5 for gradients, 6 for weights, each only if not set yet.
struct Params { count: u32, beta1: f32, beta2: f32, eps: f32, }
struct Step { batch_start: u32, t: f32, lr: f32, step: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read_write> totals: array<u32>;

fn non_finite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * WG;
    if (idx >= p.count) { return; }
    let g = grad[idx];
    let lr_t = step.lr * sqrt(1.0 - pow(p.beta2, step.t)) / (1.0 - pow(p.beta1, step.t));
    let m_new = p.beta1 * m[idx] + (1.0 - p.beta1) * g;
    let v_new = p.beta2 * v[idx] + (1.0 - p.beta2) * g * g;
    let w_new = w[idx] - lr_t * m_new / (sqrt(v_new) + p.eps);
    m[idx] = m_new;
    v[idx] = v_new;
    w[idx] = w_new;
    // Every lane that sees a problem in one step writes the same value: the race is benign.
    if (non_finite(g) && totals[5] == 0u) { totals[5] = step.step; }
    if (non_finite(w_new) && totals[6] == 0u) { totals[6] = step.step; }
}
