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
use tenure::connect::{open_connection, set_status, status_after};
use tenure::directory::Snapshot;
use tenure::hr::HrBatch;
use tenure::microsoft::{
    AdaptiveLimit, ApiError, ClientCredential, ClientOptions, Endpoints, ExchangeClient,
    FirstDayMail, GraphClient, LiveDirectory, MailReport, Mailer, NationalCloud, TokenSource,
    read_through_cache,
};
use tenure::notify::{
    Delivered, Digest, DigestKind, NotificationSettings, delivered_in, leaver_notices,
    read_delivered, recent_starters, record_delivered, send_notices,
};
use tenure::pipeline::{self, ApplyMode, SyncReport};
use tenure::plan::Plan;
use tenure::store::connections::{Connection, ConnectionStatus};
use tenure::store::objects::ObjectKey;

use crate::args::{ConnectionArgs, SyncArgs};
use crate::cache::DirectoryCache;
use crate::commands::{GUARD_REFUSED, Mapping};
use crate::state::{Stores, state_dir, tenure_app};

/// Exit status when some actions failed (the rest were applied).
pub(crate) const SOME_FAILED: u8 = 4;

pub(crate) fn sync(args: SyncArgs) -> Result<ExitCode> {
    // Bad input is reported before anything touches the tenant.
    let (hr, mapping) = Mapping::load(&args.mapping)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run(&args, hr, &mapping))
}

async fn run(args: &SyncArgs, hr: HrBatch, mapping: &Mapping) -> Result<ExitCode> {
    let state = state_dir(args.state_dir.as_deref())?;
    let target = connect(&args.connection, args.concurrency, &state).await?;
    let read_result = read_tenant(args.full_read, &state, &target).await;
    if let Err(error) = &read_result {
        record_failure(&target, error).await;
    }
    let (directory, tenant_dir, read) = read_result?;
    println!("{read}");
    let first_day = FirstDayRecords::open(&state, &target.name, &mapping.config)?;
    let Target {
        graph,
        exchange,
        cloud,
        name: target_name,
        ..
    } = target;
    let mut request = mapping.request(&args.mapping, &directory, hr);
    if let Some(records) = &first_day {
        request.first_day_delivered = records.delivered(&request.hr, request.today).await?;
    }
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
    let notifications =
        NotificationSettings::from_plugin_config(&mapping.config).unwrap_or_default();
    let mailer = Mailer::new(graph.clone(), &notifications);
    let writer = LiveDirectory::new(graph, exchange)
        .with_first_day(FirstDayMail::from_settings(&notifications, cloud));
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
    if let (Some(records), Some(report)) = (&first_day, &applied) {
        records.record(&plan, report).await;
    }
    if !args.dry_run {
        let mail = send_run_notices(
            mailer.as_ref(),
            &notifications,
            &target_name,
            &plan,
            applied.as_ref(),
            &directory,
        )
        .await;
        print_mail(&mail);
    }
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

/// The sync's notices, as the service sends them after a provision run (the same engine
/// functions): each leaver's manager, and one digest to the connection's admins of what needs
/// them (quarantined records, possible existing accounts to review, a plan the guard refused,
/// first-day access not delivered). First-day access itself is an action of the plan.
async fn send_run_notices(
    mailer: Option<&Mailer>,
    settings: &NotificationSettings,
    tenant: &str,
    plan: &Plan,
    applied: Option<&tenure::apply::ApplyReport>,
    directory: &Snapshot,
) -> MailReport {
    let mut digest = Digest::from_plan(plan);
    if let Some(guard) = plan.guard.as_ref().filter(|g| !g.allowed) {
        digest.push(
            DigestKind::HeldForApproval,
            format!(
                "the guard refused this sync's plan, so nothing was applied: {} (check the plan, then run tenure sync --allow-mass-changes)",
                guard.message.as_deref().unwrap_or("too many disables")
            ),
        );
    }
    let leavers = match applied {
        Some(applied) => {
            digest.add_not_delivered(applied);
            leaver_notices(plan, applied, directory)
        }
        None => Vec::new(),
    };
    send_notices(mailer, tenant, settings, Some(&digest), leavers).await
}

/// Says what became of the sync's notices (never the mails themselves).
fn print_mail(mail: &MailReport) {
    if mail.sent > 0 {
        println!(
            "Notices: {} mail{} sent.",
            mail.sent,
            if mail.sent == 1 { "" } else { "s" }
        );
    }
    for failure in &mail.failed {
        eprintln!("warning: a notice could not be sent: {failure}");
    }
}

/// The tenant a sync talks to.
pub(crate) struct Target {
    pub(crate) graph: GraphClient,
    pub(crate) exchange: Option<ExchangeClient>,
    /// Graph's base URL (a directory cache is only good for it).
    graph_url: String,
    /// Names the tenant's folder under the state dir, and the tenant in messages.
    name: String,
    /// The stored connection, when the sync uses one.
    connection: Option<(Stores, Connection)>,
    /// The tenant's national cloud.
    cloud: NationalCloud,
}

/// Which starts got their first-day access, kept in the state folder's object store under
/// `cli/<tenant>/first-day/` (only when the configuration turns first-day access on).
struct FirstDayRecords {
    objects: Arc<dyn tenure::store::objects::ObjectStore>,
    folder: ObjectKey,
}

impl FirstDayRecords {
    fn open(state: &Path, tenant: &str, config: &str) -> Result<Option<Self>> {
        let on = NotificationSettings::from_plugin_config(config)
            .map(|n| n.first_day().is_some())
            .unwrap_or(false);
        if !on {
            return Ok(None);
        }
        let folder = ObjectKey::join(&["cli", tenant])
            .with_context(|| format!("tenant {tenant:?} cannot name a folder"))?;
        Ok(Some(Self {
            objects: Stores::open(state)?.objects,
            folder,
        }))
    }

    async fn delivered(&self, hr: &HrBatch, today: tenure::today::Today) -> Result<Delivered> {
        let recent = recent_starters(&hr.workers, today);
        read_delivered(self.objects.as_ref(), &self.folder, &recent)
            .await
            .context("cannot read which first-day access was delivered")
    }

    async fn record(&self, plan: &Plan, report: &tenure::apply::ApplyReport) {
        for (employee_id, start) in delivered_in(plan, report) {
            if let Err(error) =
                record_delivered(self.objects.as_ref(), &self.folder, &employee_id, start).await
            {
                eprintln!(
                    "warning: cannot record the first-day delivery of {employee_id}: {error}"
                );
            }
        }
    }
}

/// Clients for a stored connection, or for the app registration the flags give.
pub(crate) async fn connect(
    flags: &ConnectionArgs,
    concurrency: u16,
    state: &Path,
) -> Result<Target> {
    let concurrency = usize::from(concurrency);
    let options = || ClientOptions {
        limit: AdaptiveLimit::new(concurrency),
        ..ClientOptions::default()
    };
    if let Some(id) = &flags.connection {
        let stores = Stores::open(state)?;
        let connection = stores.connection(id).await?;
        if let ConnectionStatus::NeedsRelink { reason } = &connection.status {
            anyhow::bail!("connection {id} needs re-linking first: {reason}");
        }
        let app = tenure_app("");
        let (graph, exchange) = open_connection(
            &connection,
            Arc::clone(&stores.secrets),
            app.as_ref(),
            options(),
        )
        .await?;
        return Ok(Target {
            graph,
            exchange,
            graph_url: connection.endpoints().graph,
            name: id.clone(),
            cloud: connection.cloud,
            connection: Some((stores, connection)),
        });
    }
    let (Some(tenant), Some(client_id)) = (&flags.tenant, &flags.client_id) else {
        anyhow::bail!("give --connection, or --tenant and --client-id");
    };
    let secret = std::env::var(&flags.client_secret_env).with_context(|| {
        format!(
            "set {} to the client secret of app {client_id} (it is read from the environment only, never from the command line)",
            flags.client_secret_env
        )
    })?;
    let endpoints = match &flags.endpoint {
        Some(url) => Endpoints::all_at(flags.cloud, url),
        None => Endpoints::for_cloud(flags.cloud),
    };
    let tokens = Arc::new(TokenSource::new(
        &endpoints,
        tenant,
        client_id,
        ClientCredential::Secret(SecretString::from(secret)),
    )?);
    let graph = GraphClient::new(&endpoints, Arc::clone(&tokens), options())?;
    let exchange = match &flags.exchange_anchor {
        Some(anchor) => Some(ExchangeClient::new(
            &endpoints,
            Arc::clone(&tokens),
            anchor,
            options(),
        )?),
        None => None,
    };
    Ok(Target {
        graph,
        exchange,
        graph_url: endpoints.graph,
        name: tenant.clone(),
        connection: None,
        cloud: flags.cloud,
    })
}

/// When Microsoft refused the connection's credential, the stored connection says so.
pub(crate) async fn record_failure(target: &Target, error: &anyhow::Error) {
    let Some((stores, connection)) = &target.connection else {
        return;
    };
    let Some(api) = error.chain().find_map(|e| e.downcast_ref::<ApiError>()) else {
        return;
    };
    if let Some(status) = status_after(connection, api) {
        let _ = set_status(
            &stores.connections,
            &connection.id,
            status,
            jiff::Timestamp::now(),
        )
        .await;
    }
}

/// Reads the tenant (through the cache when there is one) and keeps the cache. Gives the
/// directory, the tenant's folder and a line saying what was read.
pub(crate) async fn read_tenant(
    full_read: bool,
    state: &Path,
    target: &Target,
) -> Result<(Snapshot, PathBuf, String)> {
    let tenant_dir = state.join(&target.name);
    let cache = DirectoryCache::new(&tenant_dir, &target.graph_url);
    let spinner = ProgressBar::new_spinner().with_message(format!(
        "reading tenant {} (Graph{})",
        target.name,
        if target.exchange.is_some() {
            " and Exchange"
        } else {
            ""
        }
    ));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let cached = if full_read { None } else { cache.load() };
    let read = read_through_cache(&target.graph, target.exchange.as_ref(), cached).await;
    spinner.finish_and_clear();
    let (directory, delta, how) =
        read.with_context(|| format!("cannot read tenant {}", target.name))?;
    // Kept before applying: the next sync's delta then brings this sync's own changes too.
    cache.save(&directory, &delta)?;
    let read = format!(
        "Tenant {} ({how}): {} users, {} groups, {} mailboxes{}",
        target.name,
        directory.users.len(),
        directory.groups.len(),
        directory.mailboxes.len(),
        if target.exchange.is_some() {
            ""
        } else {
            " (Exchange not connected: mailboxes and distribution lists are left alone)"
        }
    );
    Ok((directory, tenant_dir, read))
}

/// The audit trail, appended to one JSON line per applied change as it happens (a sync cut off
/// halfway keeps the record of what it did).
pub(crate) struct AuditFile {
    file: File,
    path: PathBuf,
    written: usize,
    error: Option<std::io::Error>,
}

impl AuditFile {
    pub(crate) fn open(path: &Path) -> Result<Self> {
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

    pub(crate) fn append(&mut self, record: &AuditRecord) {
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

    pub(crate) fn finish(mut self) -> Result<usize> {
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
