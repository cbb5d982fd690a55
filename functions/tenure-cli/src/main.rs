//! The `tenure` command: wires arguments to the engine and prints what it says.
//!
//! Modules: `args` (the arguments, parsed once into typed settings), `approvals` (`tenure
//! approvals list | approve`: changes the guard held), `commands` (`plan`,
//! `generate`, `emulate`, and the dispatch), `sync` (clients from a stored connection or the
//! flags, the progress bar, the audit file), `cache` (the directory cache file), `connect`
//! (`tenure connect customer-app | link | list`), `settings` (`tenure connect webhook-key |
//! mapping | hr-export`), `serve` (`tenure serve`: the service routers on one port, the
//! provisioning loop, the optional schedule), `plugin` (`tenure plugin new | build | check |
//! test | upload`: a customer's plugin from a template to an upload; `test` with `fixtures`) and `state` (the state folder and its stores).

mod approvals;
mod args;
mod cache;
mod commands;
mod connect;
mod fixtures;
mod matching;
mod plugin;
mod serve;
mod settings;
mod state;
mod sync;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the C library's allocator: `tenure plan` on a large company makes and
/// frees millions of small strings on several threads, which mimalloc does in less time, with
/// half the system time (docs/benchmarks.md, the whole command).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tenure: {}", tenure::error_text(error.as_ref()));
            ExitCode::from(1)
        }
    }
}
