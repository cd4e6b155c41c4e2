//! Twins of the loss kernels.

/// Twin of loss/softmax_cross_entropy.wgsl: (dlogits, per-sample [loss, correct]).
pub fn softmax_cross_entropy(n: usize, classes: usize, logits: &[f32], labels: &[u32]) -> (Vec<f32>, Vec<f32>) {
    let mut d = vec![0.0; n * classes];
    let mut per = vec![0.0; 2 * n];
    for b in 0..n {
        let row = &logits[b * classes..(b + 1) * classes];
        let (mut arg, mut mx) = (0, row[0]);
        for (j, &v) in row.iter().enumerate().skip(1) {
            if v > mx {
                mx = v;
                arg = j;
            }
        }
        let sum: f32 = row.iter().map(|v| (v - mx).exp()).sum();
        let label = labels[b] as usize;
        for j in 0..classes {
            let prob = (row[j] - mx).exp() / sum;
            d[b * classes + j] = (prob - if j == label { 1.0 } else { 0.0 }) / n as f32;
        }
        per[2 * b] = sum.ln() + mx - row[label];
        per[2 * b + 1] = (arg == label) as u32 as f32;
    }
    (d, per)
}

/// Twin of loss/accumulate.wgsl: adds per-sample [loss, correct] pairs into the totals and
/// records `step` as the first step with a non-finite or exploding batch loss.
pub fn accumulate_totals(per_sample: &[f32], totals: &mut crate::ops::loss::Totals, step: u32, explode_limit: f32) {
    let loss: f32 = per_sample.iter().step_by(2).sum();
    let correct: f32 = per_sample.iter().skip(1).step_by(2).sum();
    let n = (per_sample.len() / 2) as f32;
    let h = &mut totals.health;
    if !loss.is_finite() {
        h.non_finite_loss.get_or_insert(step);
    } else if loss > explode_limit * n {
        h.exploding_loss.get_or_insert(step);
    }
    totals.loss_sum += loss;
    totals.correct += correct;
    totals.samples += n;
}
