//! `tenure sync`: read the live tenant, plan, apply, and say what happened.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use secrecy::SecretString;
use tenure::apply::{ActionOutcome, ApplyOptions, AuditRecord};
use tenure::directory::Snapshot;
use tenure::hr::HrBatch;
use tenure::microsoft::{
    AdaptiveLimit, ApiError, ClientCredential, ClientOptions, DeltaState, Endpoints,
    ExchangeClient, GraphClient, LiveDirectory, ReadOptions, TokenSource,
    read_directory_with_delta, refresh_directory,
};
use tenure::pipeline::{self, ApplyMode, SyncReport};
use tenure::plan::Plan;

use crate::args::{ConnectionArgs, SyncArgs};
use crate::cache::{Cached, DirectoryCache};
use crate::commands::{GUARD_REFUSED, Mapping};

/// Exit status when some actions failed (the rest were applied).
const SOME_FAILED: u8 = 4;

pub(crate) fn sync(args: SyncArgs) -> Result<ExitCode> {
    // Bad input is reported before anything touches the tenant.
    let (hr, mapping) = Mapping::load(&args.mapping)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run(&args, hr, &mapping))
}

async fn run(args: &SyncArgs, hr: HrBatch, mapping: &Mapping) -> Result<ExitCode> {
    let (graph, exchange, graph_url) = connect(&args.connection, usize::from(args.concurrency))?;
    let tenant_dir = state_dir(args)?.join(&args.connection.tenant);
    let cache = DirectoryCache::new(&tenant_dir, &graph_url);
    let spinner = ProgressBar::new_spinner().with_message(format!(
        "reading tenant {} (Graph{})",
        args.connection.tenant,
        if exchange.is_some() {
            " and Exchange"
        } else {
            ""
        }
    ));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let cached = if args.full_read { None } else { cache.load() };
    let (directory, delta, read) = read(&graph, exchange.as_ref(), cached)
        .await
        .with_context(|| format!("cannot read tenant {}", args.connection.tenant))?;
    spinner.finish_and_clear();
    // Kept before applying: the next sync's delta then brings this sync's own changes too.
    cache.save(&directory, &delta)?;
    println!(
        "Tenant {} ({read}): {} users, {} groups, {} mailboxes{}",
        args.connection.tenant,
        directory.users.len(),
        directory.groups.len(),
        directory.mailboxes.len(),
        if exchange.is_some() {
            ""
        } else {
            " (Exchange not connected: give --exchange-anchor to manage mailboxes and distribution lists)"
        }
    );
    let request = mapping.request(&args.mapping, &directory, hr);
    let audit_path = args
        .audit
        .clone()
        .unwrap_or_else(|| tenant_dir.join("audit.jsonl"));
    // A dry run writes nothing, not even an empty audit trail.
    let audit = match args.dry_run {
        true => None,
        false => Some(Mutex::new(AuditFile::open(&audit_path)?)),
    };
    let bar = ProgressBar::hidden();
    let observer = |_: &ActionOutcome, record: Option<&AuditRecord>| {
        bar.inc(1);
        if let (Some(record), Some(audit)) = (record, &audit) {
            audit
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .append(record);
        }
    };
    let mode = if args.dry_run {
        ApplyMode::DryRun
    } else {
        ApplyMode::Apply(ApplyOptions {
            concurrency: usize::from(args.concurrency),
        })
    };
    let writer = LiveDirectory::new(graph, exchange);
    let on_plan = |plan: &Plan| {
        print!("{}", tenure::report::plan_text(plan));
        let total: usize = plan.workers.iter().map(|w| w.actions.len()).sum();
        if mode != ApplyMode::DryRun && total > 0 {
            bar.set_length(u64::try_from(total).unwrap_or(u64::MAX));
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} actions {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    };
    let SyncReport { plan, applied } = pipeline::sync(request, mode, &writer, &on_plan, &observer)
        .await
        .with_context(|| format!("with configuration {}", args.mapping.config.display()))?;
    bar.finish_and_clear();
    let Some(report) = applied else {
        if plan.guard.as_ref().is_some_and(|g| !g.allowed) {
            println!("\nNothing was applied: the guard refused the plan.");
            return Ok(ExitCode::from(GUARD_REFUSED));
        }
        println!("\nDry run: nothing was applied.");
        return Ok(ExitCode::SUCCESS);
    };
    let written = match audit {
        Some(audit) => audit
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .finish()?,
        None => 0,
    };
    println!();
    if report.outcomes.is_empty() {
        println!("Nothing to apply: the tenant already matches HR.");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", tenure::report::apply_text(&report));
    println!(
        "Audit: {written} record{} appended to {}",
        if written == 1 { "" } else { "s" },
        audit_path.display()
    );
    let (_, _, failed, skipped) = report.counts();
    Ok(if failed + skipped > 0 {
        ExitCode::from(SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The Graph client, the Exchange client when an anchor mailbox is given, and Graph's base URL.
fn connect(
    args: &ConnectionArgs,
    concurrency: usize,
) -> Result<(GraphClient, Option<ExchangeClient>, String)> {
    let secret = std::env::var(&args.client_secret_env).with_context(|| {
        format!(
            "set {} to the client secret of app {} (it is read from the environment only, never from the command line)",
            args.client_secret_env, args.client_id
        )
    })?;
    let endpoints = match &args.endpoint {
        Some(url) => Endpoints::all_at(args.cloud, url),
        None => Endpoints::for_cloud(args.cloud),
    };
    let tokens = Arc::new(TokenSource::new(
        &endpoints,
        &args.tenant,
        &args.client_id,
        ClientCredential::Secret(SecretString::from(secret)),
    )?);
    let options = || ClientOptions {
        limit: AdaptiveLimit::new(concurrency),
        ..ClientOptions::default()
    };
    let graph = GraphClient::new(&endpoints, Arc::clone(&tokens), options())?;
    let exchange = match &args.exchange_anchor {
        Some(anchor) => Some(ExchangeClient::new(
            &endpoints,
            Arc::clone(&tokens),
            anchor,
            options(),
        )?),
        None => None,
    };
    Ok((graph, exchange, endpoints.graph))
}

/// Where Tenure keeps its files: the flag or TENURE_STATE_DIR, else the user's data folder.
fn state_dir(args: &SyncArgs) -> Result<PathBuf> {
    args.state_dir
        .clone()
        .or_else(|| std::env::var_os("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("tenure")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/tenure")))
        .context("no place for Tenure's files: give --state-dir (and --audit)")
}

/// How the directory was read.
enum Read {
    Full,
    Incremental,
    /// Graph no longer knew the delta link.
    Resync,
}

impl std::fmt::Display for Read {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Full => "read whole",
            Self::Incremental => "changes since the last sync",
            Self::Resync => "read whole: the last sync's delta link had expired",
        })
    }
}

/// The directory now: the cached one brought up to date by delta when there is one, else read
/// whole (with new delta links).
async fn read(
    graph: &GraphClient,
    exchange: Option<&ExchangeClient>,
    cached: Option<Cached>,
) -> Result<(Snapshot, DeltaState, Read), ApiError> {
    let options = ReadOptions::default();
    let mut how = Read::Full;
    // A cache made with Exchange on cannot serve a sync without it, nor the other way round.
    if let Some(cached) = cached.filter(|c| c.delta.mailboxes.is_some() == exchange.is_some()) {
        match refresh_directory(graph, exchange, cached.directory, &cached.delta).await {
            Ok((directory, delta)) => return Ok((directory, delta, Read::Incremental)),
            Err(error) if error.is_resync_required() => how = Read::Resync,
            Err(error) => return Err(error),
        }
    }
    let (directory, delta) = read_directory_with_delta(graph, exchange, options).await?;
    Ok((directory, delta, how))
}

/// The audit trail, appended to one JSON line per applied change as it happens (a sync cut off
/// halfway keeps the record of what it did).
struct AuditFile {
    file: File,
    path: PathBuf,
    written: usize,
    error: Option<std::io::Error>,
}

impl AuditFile {
    fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(path)
            .with_context(|| format!("cannot open the audit trail {}", path.display()))?;
        Ok(Self {
            file,
            path: path.to_owned(),
            written: 0,
            error: None,
        })
    }

    fn append(&mut self, record: &AuditRecord) {
        if self.error.is_some() {
            return;
        }
        let line = serde_json::to_vec(record).map(|mut line| {
            line.push(b'\n');
            line
        });
        let result = match line {
            Ok(line) => self.file.write_all(&line),
            Err(e) => Err(std::io::Error::other(e)),
        };
        match result {
            Ok(()) => self.written += 1,
            Err(e) => self.error = Some(e),
        }
    }

    fn finish(mut self) -> Result<usize> {
        if let Some(error) = self.error.take() {
            return Err(error).with_context(|| {
                format!(
                    "the audit trail {} could not be written after {} records (the changes were applied)",
                    self.path.display(),
                    self.written
                )
            });
        }
        self.file
            .sync_all()
            .with_context(|| format!("cannot save the audit trail {}", self.path.display()))?;
        Ok(self.written)
    }
}
