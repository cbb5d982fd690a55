//! `tenure plugin check`: the checks an upload runs (the engine's own, `service::plugins`),
//! offline against the local state folder, storing nothing; `tenure plugin test`: fixtures
//! (see `fixtures`).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::service::plugins::{self, PluginSha256};

use crate::args::{PluginCheckArgs, PluginCommand, PluginTestArgs};
use crate::state::{Stores, state_dir};

pub(crate) fn run(command: PluginCommand) -> Result<ExitCode> {
    match command {
        PluginCommand::Check(args) => check(args),
        PluginCommand::Test(args) => test(args),
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
    let state = state_dir(args.state.state_dir.as_deref())?;
    let stores = Stores::open(&state)?;
    let host = PluginHost::new(
        SandboxLimits::default(),
        Some(crate::commands::cache_dir(args.cache_dir)),
    )?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let trial = runtime.block_on(async {
        let connection = match &args.connection {
            Some(id) => Some(stores.connection(id).await?.id),
            None => None,
        };
        let plugin = Arc::new(plugins::compile(&host, &wasm)?);
        let trial = plugins::admit(stores.objects.as_ref(), connection.as_ref(), plugin).await?;
        anyhow::Ok(trial)
    })?;
    println!("{}: accepted, as an upload would be", args.plugin.display());
    println!(
        "  component: exports tenure:mapper/mapping@1.x, imports nothing the sandbox refuses; \
         {} bytes ({:.1} MiB), sha256 {}",
        wasm.len(),
        wasm.len() as f64 / f64::from(1 << 20),
        PluginSha256::of(&wasm)
    );
    match (&args.connection, trial.config_checked) {
        (Some(id), true) => println!("  configuration: connection {id}'s is accepted"),
        (Some(id), false) => {
            println!("  configuration: not checked (connection {id} has no mapping settings yet)")
        }
        (None, _) => println!("  configuration: not checked (no --connection)"),
    }
    println!(
        "  trial: {} sample workers from {}: {} mapped, {} refused with the plugin's own reason; \
         fuel used {}",
        trial.workers_tried,
        trial.source,
        trial.workers_mapped,
        trial.workers_refused,
        trial.fuel_consumed
    );
    Ok(ExitCode::SUCCESS)
}
