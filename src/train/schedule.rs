//! Learning-rate schedules, evaluated on the host once per step and sent in the step uniform.

/// How the learning rate moves over the whole run (float and QAT epochs together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LrSchedule {
    /// The same rate throughout; the QAT phase starts a fresh Adam optimizer, exactly as the
    /// TFMOT example recompiles its model.
    Constant,
    /// Cosine decay from the rate to zero over all steps, one Adam optimizer for the whole run.
    Cosine,
}

impl LrSchedule {
    /// Learning rate at global step `step` (from 0) of `total`.
    pub fn rate(self, base: f32, step: usize, total: usize) -> f32 {
        match self {
            LrSchedule::Constant => base,
            LrSchedule::Cosine => {
                let progress = step as f64 / total.max(1) as f64;
                (base as f64 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())) as f32
            }
        }
    }
    /// The peak rate used when none is given: Keras's Adam default for the TFMOT recipe; for
    /// cosine, the best of the rates compared on mnist-cnn's recipe (docs/BENCHMARKS.md).
    pub fn default_rate(self) -> f32 {
        match self {
            LrSchedule::Constant => 1e-3,
            LrSchedule::Cosine => 5e-3,
        }
    }
    /// Whether the QAT phase starts with fresh optimizer state.
    pub fn restarts_optimizer_for_qat(self) -> bool {
        self == LrSchedule::Constant
    }
}
