//! `tenure plugin`: a customer's own mapping plugin from start to upload. `new` (a project from
//! the templates), `build` (the language's tool chain, found by `toolchains`, then the checks),
//! `check` (the checks an upload runs, the engine's own `service::plugins`, offline against the
//! local state folder, storing nothing), `test` (fixtures, see `crate::fixtures`), `upload` and
//! `activate` (`remote`: a Tenure's plugin routes over HTTP with an API token).

mod build;
mod new;
mod remote;
mod toolchains;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use tenure::plugin::{BatchCall, PluginHost, SandboxLimits};
use tenure::service::plugins::{self, PluginSha256, TrialReport};

use crate::args::{PluginBuildArgs, PluginCheckArgs, PluginCommand, PluginTestArgs, StateArgs};
use crate::state::{Stores, state_dir};

pub(crate) fn run(command: PluginCommand) -> Result<ExitCode> {
    match command {
        PluginCommand::New(args) => new::new(args).map(|()| ExitCode::SUCCESS),
        PluginCommand::Build(args) => build(args),
        PluginCommand::Check(args) => check(args),
        PluginCommand::Test(args) => test(args),
        PluginCommand::Upload(args) => remote::upload(args),
        PluginCommand::Activate(args) => remote::activate(args),
    }
}

fn build(args: PluginBuildArgs) -> Result<ExitCode> {
    let dir = std::path::absolute(&args.dir)
        .with_context(|| format!("cannot find the folder {}", args.dir.display()))?;
    let language = build::language_of(&dir)?;
    let out = std::path::absolute(args.out.unwrap_or_else(|| dir.join("plugin.wasm")))?;
    let started = std::time::Instant::now();
    build::build(
        &dir,
        language,
        &toolchains::Toolchains::new(args.toolchains),
        &out,
    )?;
    println!(
        "built {} in {:.1} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    let wasm =
        std::fs::read(&out).with_context(|| format!("cannot read plugin {}", out.display()))?;
    let admission = admit(&wasm, None, &args.state, args.cache_dir)?;
    report(&out, &wasm, None, &admission);
    Ok(ExitCode::SUCCESS)
}

/// What the checks an upload runs found.
struct Admission {
    /// The contract the plugin exports, with its version.
    contract: String,
    trial: TrialReport,
}

/// The checks an upload runs (the engine's own), offline: load checks, the connection's
/// configuration (with `connection`, from the state folder), the trial on sample workers.
fn admit(
    wasm: &[u8],
    connection: Option<&str>,
    state: &StateArgs,
    cache_dir: Option<std::path::PathBuf>,
) -> Result<Admission> {
    let state = state_dir(state.state_dir.as_deref())?;
    let stores = Stores::open(&state)?;
    let host = PluginHost::new(
        SandboxLimits::default(),
        Some(crate::commands::cache_dir(cache_dir)),
    )?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let connection = match connection {
            Some(id) => Some(stores.connection(id).await?.id),
            None => None,
        };
        let plugin = Arc::new(plugins::compile(&host, wasm)?);
        let contract = match plugin.batch_call() {
            BatchCall::Json => format!("{} and its JSON batch call", plugin.contract()),
            BatchCall::Typed => plugin.contract().to_owned(),
        };
        let trial = plugins::admit(stores.objects.as_ref(), connection.as_ref(), plugin).await?;
        anyhow::Ok(Admission { contract, trial })
    })
}

/// What `check` and `build` print about a plugin the checks accepted.
fn report(path: &Path, wasm: &[u8], connection: Option<&str>, admission: &Admission) {
    println!("{}: accepted, as an upload would be", path.display());
    println!(
        "  component: exports {}, imports nothing the sandbox refuses; {} bytes ({:.1} MiB), \
         sha256 {}",
        admission.contract,
        wasm.len(),
        wasm.len() as f64 / f64::from(1 << 20),
        PluginSha256::of(wasm)
    );
    let trial = &admission.trial;
    match (connection, trial.config_checked) {
        (Some(id), true) => println!("  configuration: connection {id}'s is accepted"),
        (Some(id), false) => {
            println!("  configuration: not checked (connection {id} has no mapping settings yet)")
        }
        (None, _) => println!("  configuration: not checked (no --connection)"),
    }
    print_trial(trial);
    if trial.workers_tried > 0 && trial.workers_refused == trial.workers_tried {
        // The usual reason: the trial knows no tenant, so it passes no verified domains.
        println!(
            "  every sample worker was refused: the trial passes no verified domains{}, so a \
             plugin that needs one refuses them all; tenure plugin test shows the answers for \
             your fixtures' domains",
            if connection.is_none() {
                " and the configuration {}"
            } else {
                ""
            }
        );
    }
}

fn test(args: PluginTestArgs) -> Result<ExitCode> {
    let wasm = std::fs::read(&args.plugin)
        .with_context(|| format!("cannot read plugin {}", args.plugin.display()))?;
    let host = PluginHost::new(
        SandboxLimits::default(),
        Some(crate::commands::cache_dir(args.cache_dir)),
    )?;
    let plugin = host
        .load(&wasm)
        .with_context(|| format!("plugin {} cannot be used", args.plugin.display()))?;
    let report = crate::fixtures::run(&plugin, &args.fixtures, args.update)?;
    print!("{}", report.text);
    Ok(if report.all_matched {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn check(args: PluginCheckArgs) -> Result<ExitCode> {
    let wasm = std::fs::read(&args.plugin)
        .with_context(|| format!("cannot read plugin {}", args.plugin.display()))?;
    let admission = admit(
        &wasm,
        args.connection.as_deref(),
        &args.state,
        args.cache_dir,
    )?;
    report(&args.plugin, &wasm, args.connection.as_deref(), &admission);
    Ok(ExitCode::SUCCESS)
}

/// The trial's line, as `plugin check`, `build` and `upload` print it.
pub(crate) fn print_trial(trial: &tenure::service::plugins::TrialReport) {
    println!(
        "  trial: {} sample workers from {}: {} mapped, {} refused with the plugin's own reason; \
         fuel used {}",
        trial.workers_tried,
        trial.source,
        trial.workers_mapped,
        trial.workers_refused,
        trial.fuel_consumed
    );
}
