//! The `tenure` command: wires arguments to the engine and prints what it says.

mod args;
mod cache;
mod commands;
mod connect;
mod serve;
mod settings;
mod state;
mod sync;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tenure: {error:#}");
            ExitCode::from(1)
        }
    }
}
