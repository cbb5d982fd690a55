//! Command-line arguments, parsed once into typed settings.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use tenure::guard::GuardPolicy;
use tenure::today::Today;

/// Tenure: HR-driven identity lifecycle for Microsoft Entra ID and Exchange Online.
#[derive(Debug, Parser)]
#[command(name = "tenure", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Compute what would change, and why, without writing anything.
    Plan(PlanArgs),
    /// Write a synthetic company (HR CSV, directory snapshot, mapper config) for benchmarks.
    Generate(GenerateArgs),
    /// Run the emulated tenant (Microsoft login, Graph and Exchange) on a local port.
    Emulate(EmulateArgs),
}

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A readable summary grouped by joiners, movers, leavers and the rest.
    Text,
    /// The machine form.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PlanArgs {
    /// HR records: .csv, .json (an array) or .jsonl/.ndjson (one record per line).
    #[arg(long, value_name = "FILE")]
    pub(crate) hr: PathBuf,
    /// The directory snapshot (JSON, see README "Directory snapshot").
    #[arg(long, value_name = "SNAPSHOT.json")]
    pub(crate) directory: PathBuf,
    /// The mapping plugin's configuration (JSON).
    #[arg(long, value_name = "MAPPER.json")]
    pub(crate) config: PathBuf,
    /// A mapping plugin component; without it the built-in standard mapper is used.
    #[arg(long, value_name = "FILE.wasm")]
    pub(crate) plugin: Option<PathBuf>,
    /// The date (YYYY-MM-DD) or instant (RFC 3339) to plan for; default: now, in each worker's zone.
    #[arg(long, value_parser = Today::parse)]
    pub(crate) today: Option<Today>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Largest share of managed users a plan may disable or strip, e.g. 0.1 or 10%.
    #[arg(long, value_parser = GuardPolicy::parse_share, default_value = "10%")]
    pub(crate) max_disable_share: f64,
    /// Allow a plan the guard would refuse.
    #[arg(long)]
    pub(crate) allow_mass_changes: bool,
    /// Where compiled plugins are cached (default: $XDG_CACHE_HOME/tenure or ~/.cache/tenure).
    #[arg(long, env = "TENURE_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct GenerateArgs {
    /// How many workers.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) workers: usize,
    /// The folder to write hr.csv, directory.json and mapper.json into.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Seed, so the same arguments give the same files.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
}

#[derive(Debug, clap::Args)]
pub(crate) struct EmulateArgs {
    /// The loopback port to listen on (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,
    /// A directory snapshot to start from (default: an empty tenant).
    #[arg(long, value_name = "SNAPSHOT.json")]
    pub(crate) state: Option<PathBuf>,
    /// Where to write the tenant's state when stopped with Ctrl-C.
    #[arg(long, value_name = "SNAPSHOT.json")]
    pub(crate) save: Option<PathBuf>,
    /// The client id of the app registered in the tenant.
    #[arg(long, default_value = "tenure-local")]
    pub(crate) client_id: String,
    /// The name of the environment variable holding that app's client secret (never printed).
    #[arg(long, default_value = "TENURE_EMULATOR_CLIENT_SECRET")]
    pub(crate) client_secret_env: String,
}
