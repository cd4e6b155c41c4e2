//! Quantization rules. The rules themselves live in the GPU-free `qat_int8::quant` (re-exported
//! here: fake-quant nudging, the Q31 multiplier, double rounding as QAT simulates it, rounding,
//! parameters, clamps, ADD and MEAN rescales, the bias's room); what only training needs stays here: where fake quant goes in a model graph
//! (`placement`).

pub use qat_int8::quant::{add, bias_scale, clamp, double_rounding, fake_quant, mean, multiplier, params, rounding};
pub mod placement;
