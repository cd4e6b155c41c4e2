// TF's Nudge() for fake quant, shared by fake_quant/forward.wgsl and fake_quant/backward.wgsl
// (the shader registry prepends this file to both). Same f32 operations, in the same order, as
// int8/src/quant/fake_quant.rs::nudge: scale = (max - min) / (qmax - qmin) (a non-positive scale
// becomes 1); zp = clamp(floor(qmin - min / scale + 0.5), qmin, qmax) (round half away, as
// the argument is >= qmin); nmin = (qmin - zp) * scale; nmax = (qmax - zp) * scale. `zp` is
// kept as the zero point's step from qmin, zp - qmin.
struct Nudged { nmin: f32, nmax: f32, scale: f32, zp: f32, }

fn nudge(mn: f32, mx: f32, qmin: f32, qmax: f32) -> Nudged {
    var scale = (mx - mn) / (qmax - qmin);
    if (!(scale > 0.0)) { scale = 1.0; }
    let zp = clamp(floor(qmin - mn / scale + 0.5), qmin, qmax);
    return Nudged((qmin - zp) * scale, (qmax - zp) * scale, scale, zp - qmin);
}
