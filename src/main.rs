//! `qat`: train, export, evaluate, verify and benchmark from the command line.

mod cli;

use clap::Parser;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "qat",
    version,
    about = "Quantization-aware training on any GPU through wgpu, with an int8 CPU reference"
)]
struct Args {
    /// Use the first adapter whose name contains this (case-insensitive). Backends come from
    /// WGPU_BACKEND (vulkan, metal, dx12; the GL backend is not compiled in).
    #[arg(long, global = true)]
    adapter: Option<String>,
    #[command(subcommand)]
    command: cli::Command,
}

fn main() -> ExitCode {
    quiet_mesa_device_select();
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

/// Mesa's Vulkan device-select layer probes for a display and prints "XDG_RUNTIME_DIR is
/// invalid" on headless machines; wgpu picks the adapter itself (`--adapter`), so the layer is
/// skipped unless the user set NODEVICE_SELECT themselves. Runs first, before any thread.
fn quiet_mesa_device_select() {
    if cfg!(target_os = "linux") && std::env::var_os("NODEVICE_SELECT").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}
