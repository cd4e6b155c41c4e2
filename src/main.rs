//! `qat`: train, export, evaluate, verify and benchmark from the command line.

mod cli;

use clap::Parser;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "qat", version, about = "Quantization-aware training on any GPU through wgpu, with an int8 CPU reference")]
struct Args {
    /// Use the first adapter whose name contains this (case-insensitive). Backends come from
    /// WGPU_BACKEND (vulkan, metal, dx12, gl).
    #[arg(long, global = true)]
    adapter: Option<String>,
    #[command(subcommand)]
    command: cli::Command,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args = Args::parse();
    match cli::run(args.command, args.adapter) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

