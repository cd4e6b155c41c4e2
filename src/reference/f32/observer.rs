//! Twins of the range-observer kernels.

use crate::ops::observer::RangeMode;

/// Twin of observer/activation_range.wgsl: updates `range = [min, max, seen]` in place.
pub fn activation_range_update(x: &[f32], range: &mut [f32; 3], mode: RangeMode) {
    let bmin = x.iter().fold(0.0f32, |a, &v| a.min(v));
    let bmax = x.iter().fold(0.0f32, |a, &v| a.max(v));
    if range[2] == 0.0 {
        *range = [bmin, bmax, 1.0];
        return;
    }
    match mode {
        RangeMode::MovingAverage { decay } => {
            range[0] -= (1.0 - decay) * (range[0] - bmin);
            range[1] -= (1.0 - decay) * (range[1] - bmax);
        }
        RangeMode::AllSeen => {
            range[0] = range[0].min(bmin);
            range[1] = range[1].max(bmax);
        }
    }
}

/// Twin of observer/weight_range.wgsl: [-max|w|, max|w|] per channel, element i in channel
/// (i / inner) % channels.
pub fn weight_range(w: &[f32], channels: usize, inner: usize) -> Vec<f32> {
    let mut m = vec![0.0f32; channels];
    for (i, v) in w.iter().enumerate() {
        let c = (i / inner.max(1)) % channels;
        m[c] = m[c].max(v.abs());
    }
    m.iter().flat_map(|&m| [-m, m]).collect()
}
