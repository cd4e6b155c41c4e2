//! GPU-free: TF fake-quant nudging on worked examples, the forward formula, the int8 index, and
//! the straight-through mask.

use wgpu_qat::quant::fake_quant::{nudge, Grid};

#[test]
fn nudging_makes_zero_exact() {
    // min -0.1, max 1.0 on [0, 255]: scale 1.1/255, zp_from_min = 0.1/scale = 23.18 -> 23.
    let n = nudge(-0.1, 1.0, Grid::activation(8));
    let scale = 1.1f32 / 255.0;
    assert!((n.scale - scale).abs() < 1e-9);
    assert_eq!(n.zero_point, 23);
    assert!((n.min - (-23.0 * scale)).abs() < 1e-7);
    assert!((n.max - (232.0 * scale)).abs() < 1e-6);
    assert_eq!(n.fake_quant(0.0), 0.0);
    assert_eq!(n.signed_zero_point(), 23 - 128);
}

#[test]
fn range_above_zero_clamps_the_zero_point() {
    // min > 0 would put zp below qmin: clamped, so the range starts at 0.
    let n = nudge(0.5, 1.0, Grid::activation(8));
    assert_eq!(n.zero_point, 0);
    assert_eq!(n.min, 0.0);
}

#[test]
fn input_range_zero_one_is_tfmot_input_quantization() {
    let n = nudge(0.0, 1.0, Grid::activation(8));
    assert_eq!(n.scale, 1.0f32 / 255.0);
    assert_eq!(n.signed_zero_point(), -128);
    for p in 0..=255u8 {
        assert_eq!(n.index(p as f32 / 255.0), p as i32 - 128);
    }
}

#[test]
fn symmetric_weights_have_zero_point_zero_and_narrow_range() {
    let n = nudge(-0.635, 0.635, Grid::weight(8));
    assert_eq!(n.signed_zero_point(), 0);
    assert!((n.scale - 0.635 / 127.0).abs() < 1e-8);
    assert_eq!(n.index(0.635), 127);
    assert_eq!(n.index(-0.635), -127);
    assert_eq!(n.index(-5.0), -127);
    assert_eq!(n.index(0.0), 0);
}

#[test]
fn forward_formula_and_ties() {
    let n = nudge(0.0, 2.55, Grid::activation(8)); // scale 0.01
                                                   // floor((x - min) / scale + 0.5) * scale + min: 0.015 is a tie and rounds up.
    let y = n.fake_quant(0.015);
    assert!((y - 0.02).abs() < 1e-6, "{y}");
    assert!((n.fake_quant(0.0149) - 0.01).abs() < 1e-6);
    assert_eq!(n.fake_quant(-1.0), 0.0);
    assert!((n.fake_quant(9.0) - n.max).abs() < 1e-6);
    // Idempotent.
    for i in 0..300 {
        let x = i as f32 * 0.0093;
        assert_eq!(n.fake_quant(n.fake_quant(x)), n.fake_quant(x));
    }
}

#[test]
fn straight_through_mask() {
    let n = nudge(-1.0, 1.0, Grid::activation(8));
    assert!(n.passes_gradient(0.3));
    assert!(n.passes_gradient(n.min));
    assert!(n.passes_gradient(n.max));
    assert!(!n.passes_gradient(n.max + 0.01));
    assert!(!n.passes_gradient(n.min - 0.01));
}

#[test]
fn degenerate_range_stays_finite() {
    let n = nudge(0.0, 0.0, Grid::weight(8));
    assert!(n.scale.is_finite() && n.scale > 0.0);
    assert_eq!(n.fake_quant(0.0), 0.0);
}
