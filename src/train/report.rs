//! What a training run reports: per phase (`PhaseReport`, which checkpoints also keep) and for
//! the whole run (`TrainReport`), and an evaluation's logits and accuracy (`EvalResult`).

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
/// What one phase (float or QAT) did.
pub struct PhaseReport {
    /// Epochs run.
    pub epochs: usize,
    /// Steps run.
    pub steps: usize,
    /// Wall time of the phase.
    pub seconds: f64,
    /// Training images per second.
    pub images_per_sec: f64,
    /// Mean loss of the last reported steps.
    pub last_loss: f64,
    /// Training accuracy of the last reported steps.
    pub last_train_acc: f64,
    /// Validation accuracy after each epoch.
    pub val_acc: Vec<f64>,
}

#[derive(Debug, Clone)]
/// What a training run did.
pub struct TrainReport {
    /// The float phase.
    pub float: PhaseReport,
    /// The QAT phase.
    pub qat: PhaseReport,
    /// Float accuracy on the test split (GPU).
    pub float_test_acc: f64,
    /// GPU fake-quant forward on the test set (None without QAT epochs).
    pub qat_test: Option<EvalResult>,
    /// Training samples used.
    pub train_samples: usize,
    /// Validation samples held out.
    pub val_samples: usize,
    /// Test samples evaluated.
    pub test_samples: usize,
}

/// Logits of every sample (row-major [count, classes]) and the accuracy against the labels.
#[derive(Debug, Clone)]
pub struct EvalResult {
    /// Logits, row-major [count, classes].
    pub logits: Vec<f32>,
    /// Classes.
    pub classes: usize,
    /// Fraction of samples whose top logit is the label.
    pub accuracy: f64,
}
