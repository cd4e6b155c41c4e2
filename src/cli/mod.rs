//! The CLI's subcommands; each file is one command's arguments and body.

mod bench;
mod calibrate;
mod data;
mod eval;
mod export;
mod import;
mod info;
mod inspect;
mod predict;
mod train;
mod verify;

use wgpu_qat::gpu::{AdapterChoice, Gpu};
use wgpu_qat::Result;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Train a model (float epochs, then QAT epochs), export it as int8, evaluate it.
    Train(Box<train::TrainArgs>),
    /// Test accuracy of an int8 model on the CPU int8 interpreter (or the GPU int8 kernels).
    Eval(eval::EvalArgs),
    /// Write an int8 model file as .tflite (LiteRT) or .onnx (onnxruntime); no GPU.
    Export(export::ExportArgs),
    /// Compare an int8 model's GPU fake-quant forward with its CPU int8 forward, per test image.
    Verify(verify::VerifyArgs),
    /// Print the adapter, backend, features and the limits training relies on.
    Info,
    /// List a model file's nodes: op, inputs, output scale and zero point, weight scales.
    Inspect(inspect::InspectArgs),
    /// Benchmark the training step, a matmul ceiling and CPU int8 inference.
    Bench(bench::BenchArgs),
    /// Post-training quantization of a float model (ONNX or safetensors): ranges from N images.
    Calibrate(calibrate::CalibrateArgs),
    /// Import an ONNX float model (PyTorch or tf2onnx export) as a spec file and float weights; no GPU.
    Import(import::ImportArgs),
    /// Classes and scores of your own images (PNG, JPEG) on the CPU int8 interpreter; no GPU.
    Predict(predict::PredictArgs),
}

pub fn run(command: Command, adapter: Option<String>) -> Result<()> {
    let gpu = || Gpu::new(&AdapterChoice { name_contains: adapter.clone() });
    match command {
        // Arguments, model files and data are checked before a device is opened.
        Command::Train(a) => train::run(*a, &gpu),
        Command::Eval(a) => eval::run(a, &gpu),
        Command::Export(a) => export::run(a),
        Command::Verify(a) => verify::run(a, &gpu),
        Command::Info => info::run(&gpu()?),
        Command::Inspect(a) => inspect::run(a),
        Command::Bench(a) => bench::run(a, &gpu()?),
        Command::Predict(a) => predict::run(a, &gpu),
        Command::Import(a) => import::run(a, &gpu),
        Command::Calibrate(a) => calibrate::run(a, &gpu),
    }
}

/// Writes JSON to stdout.
pub fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()));
}
