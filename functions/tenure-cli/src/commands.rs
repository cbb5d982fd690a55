//! What each subcommand does: read the inputs, call the engine, print the result.

use std::fs;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tenure::directory::Snapshot;
use tenure::guard::GuardPolicy;
use tenure::hr::HrBatch;
use tenure::pipeline::{self, PlanRequest};
use tenure::plugin::{Plugin, PluginHost, STANDARD_MAPPER, SandboxLimits};
use tenure::today::Today;

use crate::args::{Cli, Command, EmulateArgs, Format, GenerateArgs, MappingArgs, PlanArgs};

/// Exit status when the guard refuses the plan.
pub(crate) const GUARD_REFUSED: u8 = 3;

pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Plan(args) => plan(args),
        Command::Sync(args) => crate::sync::sync(args),
        Command::Match(args) => crate::matching::run(args),
        Command::Connect(args) => crate::connect::connect(args),
        Command::Generate(args) => generate(args),
        Command::Emulate(args) => emulate(args),
        Command::Serve(args) => crate::serve::serve(args),
        Command::Approvals(command) => crate::approvals::run(command),
        Command::Plugin(command) => crate::plugin::run(command),
    }
}

/// How workers become desired states: the mapper configuration and the loaded plugin.
pub(crate) struct Mapping {
    /// The mapping configuration (JSON text).
    pub(crate) config: String,
    plugin: Plugin,
}

impl Mapping {
    /// Reads the HR file and the configuration, and loads the plugin (or the standard mapper).
    pub(crate) fn load(args: &MappingArgs) -> Result<(HrBatch, Self)> {
        let hr = tenure::hr::read_file(&args.hr)?;
        let config = fs::read_to_string(&args.config).with_context(|| {
            format!("cannot read mapper configuration {}", args.config.display())
        })?;
        // One plan at a time, mapped on every core: instances come from a pool, or are made
        // afresh when the process may not reserve the pool's address space (`ulimit -v`).
        let cache = Some(cache_dir(args.cache_dir.clone()));
        let host = match PluginHost::with_instance_pool(SandboxLimits::default(), cache.clone()) {
            Ok(host) => host,
            Err(_) => PluginHost::new(SandboxLimits::default(), cache)?,
        };
        let plugin = match &args.plugin {
            Some(path) => {
                let wasm = fs::read(path)
                    .with_context(|| format!("cannot read plugin {}", path.display()))?;
                host.load(&wasm)
                    .with_context(|| format!("plugin {} cannot be used", path.display()))?
            }
            None => host
                .load(STANDARD_MAPPER)
                .context("the built-in standard mapper cannot be loaded")?,
        };
        Ok((hr, Self { config, plugin }))
    }

    /// The plan request for this mapping against `directory`.
    pub(crate) fn request<'a>(
        &'a self,
        args: &MappingArgs,
        directory: &'a Snapshot,
        hr: HrBatch,
    ) -> PlanRequest<'a> {
        PlanRequest {
            hr,
            directory,
            plugin: &self.plugin,
            plugin_config: &self.config,
            today: args.today.unwrap_or_else(Today::now),
            guard: GuardPolicy {
                max_share: args.max_disable_share,
                allow: args.allow_mass_changes,
                ..GuardPolicy::default()
            },
            first_day_delivered: Default::default(),
        }
    }
}

fn plan(args: PlanArgs) -> Result<ExitCode> {
    let ((hr, mapping), directory) = load_plan_inputs(&args)?;
    let plan = pipeline::plan(mapping.request(&args.mapping, &directory, hr))
        .with_context(|| format!("with configuration {}", args.mapping.config.display()))?;
    match args.format {
        Format::Text => print!("{}", tenure::report::plan_text(&plan)),
        Format::Json => {
            // Streamed: a plan for 100,000 workers is never held twice in memory.
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            serde_json::to_writer_pretty(&mut out, &plan)?;
            writeln!(out)?;
            out.flush()?;
        }
    }
    let refused = plan.guard.as_ref().is_some_and(|g| !g.allowed);
    // The process ends here: the system takes the memory back at once, where dropping a large
    // plan and directory would free their millions of values one by one.
    std::mem::forget((plan, directory, mapping));
    Ok(if refused {
        ExitCode::from(GUARD_REFUSED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads the HR file and loads the plugin on one thread while the directory is read on
/// another: the two largest inputs are parsed at once. A mapping error is reported before a
/// directory error, as when they were read one after the other.
fn load_plan_inputs(args: &PlanArgs) -> Result<((HrBatch, Mapping), Snapshot)> {
    // The directory, the larger, is read on this thread, which maps afterwards: the memory its
    // reading frees is the first the mapping takes.
    let (mapping, directory) = std::thread::scope(|scope| {
        let mapping = scope.spawn(|| Mapping::load(&args.mapping));
        let directory = Snapshot::read(&args.directory);
        let mapping = mapping
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (mapping, directory)
    });
    Ok((mapping?, directory?))
}

fn generate(args: GenerateArgs) -> Result<ExitCode> {
    let company = tenure::synthetic::company(args.workers, args.seed)?;
    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let write = |name: &str, bytes: &[u8]| -> Result<()> {
        let path = args.out.join(name);
        fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
    };
    write("hr.csv", company.hr_csv.as_bytes())?;
    write("directory.json", &serde_json::to_vec(&company.directory)?)?;
    write("mapper.json", company.mapper_config.as_bytes())?;
    println!(
        "wrote {} workers and {} directory users to {} (plan them with --today {})",
        args.workers,
        company.directory.users.len(),
        args.out.display(),
        company.today
    );
    Ok(ExitCode::SUCCESS)
}

fn emulate(args: EmulateArgs) -> Result<ExitCode> {
    let secret = std::env::var(&args.client_secret_env).with_context(|| {
        format!(
            "set {} to the client secret the emulated tenant should accept for {}",
            args.client_secret_env, args.client_id
        )
    })?;
    let snapshot = match &args.state {
        Some(path) => Snapshot::read(path)?,
        None => Snapshot::default(),
    };
    let mut config = tenure_emulator::TenantConfig::new(snapshot)
        .with_client_secret(&args.client_id, &secret)
        .with_initial_domain_name(&args.name)
        .with_sample_roles()
        .with_admin_consent_workflow();
    for admin in &args.admin {
        config = config.with_directory_role(admin, tenure_emulator::GLOBAL_ADMINISTRATOR);
    }
    if let Some(app) = &args.tenure_app_id {
        let app_secret = std::env::var(&args.tenure_app_secret_env).with_context(|| {
            format!(
                "set {} to the client secret the tenant should accept for Tenure's app {app}",
                args.tenure_app_secret_env
            )
        })?;
        let uris: Vec<&str> = args.redirect_uri.iter().map(String::as_str).collect();
        config = config.with_app(
            tenure_emulator::RegisteredClient::with_secret(app, &app_secret)
                .redirect_uris(&uris)
                .multi_tenant(),
        );
    }
    if let Some(user) = &args.auto_consent {
        config = config.with_auto_consent(user);
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        let address = listener.local_addr()?;
        let state = tenure_emulator::TenantState::new(config);
        announce(&format!(
            "emulated tenant {} listening on http://{address} (login, Graph v1.0, Exchange); client {}\n\
             verified domains: {}",
            state.tenant_id(),
            args.client_id,
            state.state().tenant.verified_domains.join(", ")
        ));
        let server = tokio::spawn(tenure_emulator::serve(listener, state.clone()));
        tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
        server.abort();
        if let Some(path) = &args.save {
            state.dump_to(path)?;
            println!("saved the tenant to {}", path.display());
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints a server's banner on stdout. A reader that has stopped reading (a closed pipe) does not
/// end the server, as `println!` would.
fn announce(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// The plugin cache: the flag or TENURE_CACHE_DIR, else the user's cache folder.
pub(crate) fn cache_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("tenure")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/tenure")))
        .unwrap_or_else(|| std::env::temp_dir().join("tenure-cache"))
}
