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
    end_quietly_on_closed_stdout();
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

/// A reader that stops early (`qat predict DIR --json | head`) closes our stdout; like other
/// Unix tools, we then end at the next write, silently, by SIGPIPE (Rust ignores SIGPIPE, so a
/// write would fail and `println!` panic). Every output file is written before the command
/// prints to stdout, so nothing is lost. Runs first, before any thread.
fn end_quietly_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE at startup, before any other thread
    // exists; no handler is installed.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
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
