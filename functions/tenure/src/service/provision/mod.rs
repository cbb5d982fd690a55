//! `provision`: the SQS consumer. Plans and applies one connection's queued workers against its
//! live tenant, and reports what could not be done so that only that comes back.
//!
//! One run ([`provision`]) takes the items of one connection: it loads the connection, its
//! mapping settings and plugin, opens its clients, reads the tenant through the directory cache
//! kept at `connections/<id>/directory-cache.json` (delta links: an unchanged tenant costs two
//! Graph reads), plans the queued workers (a later record of an employee wins), guards and
//! applies, and writes the audit records to `audit/<connection>/<yyyy-mm-dd>/<delivery>-<uuid>.jsonl`.
//! A plan the guard refuses is recorded at `connections/<id>/refused/<delivery>.json` and not
//! retried. Failures say whether they are retryable ([`ProvisionError::is_retryable`]).
//!
//! The hosts: [`handle_sqs`] for the Lambda function (partial batch failures, poison messages to
//! the dead-letter queue with their reason) and [`drain`] for `tenure serve`. The Lambda
//! function passes its invocation's [`Deadline`]: a run applies its plan in slices and starts
//! none after the deadline's stop time; its clients wait for no retry past that time (a `429`
//! asking for longer postpones the action, and the slice starts nothing more:
//! [`LiveDirectory::give_up_waiting_after`]); what it did not finish is re-queued as
//! continuations of its messages ([`remainders`]) and the messages are done
//! ([`provision_until`]). Bound by the stop time too: the tenant read (given up, it is never
//! taken for an empty tenant: nothing is applied, the cache stays the old one, the run goes on
//! whole in continuations, [`ProvisionReport::postponed`] says why) and the notices (none
//! started after it, none waiting past it; those are kept for the next run, `outbox`). Not
//! bound: a request already started (up to its timeout, which the margin holds), loading the
//! plugin, and the stores' own retries.
//!
//! Files: `sqs` ([`handle_sqs`]: grouping by connection, partial batch failures, dead letters,
//! continuations queued), `deadline` (when to stop starting work, and the slices' sizes),
//! `continuation` (what is left of each message, and the continuations' identity),
//! `drain` (`tenure serve`), `batch` (one connection's HR batch, later records win), `known`
//! (each webhook-delivered worker's last known HR record, `connections/<id>/hr/known/…`, which
//! fills the fields a partial `terminate` event leaves out; else the stored HR export),
//! `records` (object keys of the cache, audit and refusals), `first_day` (which starts got
//! their first-day access, read before planning and written after applying), `notices` (the
//! run's mail: leavers' managers and one digest for the admins; a mail that fails is reported,
//! never fails the run), `outbox` (the notices not sent by the stop time, kept for the next
//! run, each sent once), `digest` (one digest per run however many messages and invocations it
//! was split over: each message's share recorded under the run, sent by whoever settles the
//! last) and `error` (retryable or permanent).

mod audit_trail;
pub(crate) mod batch;
mod continuation;
mod deadline;
mod digest;
mod drain;
mod error;
mod first_day;
mod gate;
pub(crate) mod known;
mod notices;
mod outbox;
pub(crate) mod records;
mod sqs;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::apply::{
    ActionOutcome, ApplyOptions, ApplyReport, AuditRecord, Outcome, apply_observed,
};
use crate::connect::{open_connection, set_status, status_after};
use crate::directory::Snapshot;
use crate::microsoft::{
    AdaptiveLimit, ApiError, ClientOptions, DirectoryRead, ExchangeClient, FirstDayMail,
    GraphClient, LiveDirectory, MailReport, RetryPolicy, read_through_cache,
};
use crate::notify::{Digest, DigestKind, leaver_notices};
use crate::pipeline::{self, PlanRequest};
use crate::plan::Plan;
use crate::plugin::Plugin;
use crate::queue::WorkItem;
use crate::service::Services;
use crate::service::plugins;
use crate::service::settings::MappingSettings;
use crate::store::Version;
use crate::store::connections::{Connection, ConnectionId, ConnectionStatus};
use crate::store::objects::ObjectKey;
use crate::today::Today;
use notices::RunMail;

pub use audit_trail::GROUP_WINDOW;
pub use continuation::remainders;
pub use deadline::{Deadline, Pace};
pub use digest::{RUN_RECORDS_DAYS, RunRecord, prune_runs, recent_runs};
pub use drain::{DrainError, drain};
pub use error::ProvisionError;
pub use known::known_record_key;
pub use records::{
    audit_group_key, directory_cache_key, in_flight_key, in_flight_prefix, refused_key,
};
pub use sqs::handle_sqs;

/// How provisioning talks to Microsoft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvisionOptions {
    /// Retries and backoff of each request.
    pub retry: RetryPolicy,
    /// The longest a single request may take.
    pub timeout: Duration,
    /// The most requests in flight per run (the adaptive limit starts here and backs off on
    /// throttling); see [`crate::queue::PER_TENANT_LANES`] for the runs per tenant.
    pub concurrency: usize,
    /// How long before its invocation's deadline a run stops starting new work ([`Deadline`]):
    /// what the slice in progress, the last audit records, the continuations and the digest
    /// may take.
    pub stop_margin: Duration,
}

impl Default for ProvisionOptions {
    /// Default retries, 100 s per request, at most 8 requests in flight, and a stop margin of
    /// 30 s plus the longest request.
    fn default() -> Self {
        let client = ClientOptions::default();
        Self {
            retry: client.retry,
            timeout: client.timeout,
            concurrency: 8,
            stop_margin: Duration::from_secs(30) + client.timeout,
        }
    }
}

impl ProvisionOptions {
    /// Client options for one run (a fresh adaptive limit: one per run and tenant).
    fn client(&self) -> ClientOptions {
        ClientOptions {
            retry: self.retry,
            timeout: self.timeout,
            limit: AdaptiveLimit::new(self.concurrency.max(1)),
        }
    }
}

/// What one provision run did.
#[derive(Debug)]
pub struct ProvisionReport {
    /// The connection.
    pub connection: ConnectionId,
    /// The deliveries whose work this was, in order, each once.
    pub deliveries: Vec<String>,
    /// The workers planned (each employee once).
    pub workers: usize,
    /// How the tenant was read (`None` when there was nothing to do).
    pub read: Option<DirectoryRead>,
    /// Actions in the plan.
    pub planned: usize,
    /// What became of each action; `None` when nothing was applied (the guard refused).
    pub applied: Option<ApplyReport>,
    /// Where the plan the guard refused was recorded.
    pub refused: Option<ObjectKey>,
    /// The pending approval holding the workers the guard did not let through (the run's
    /// share or the rolling budget exceeded), if any.
    pub held: Option<String>,
    /// Where the audit records were written (`None` when nothing changed).
    pub audit: Vec<ObjectKey>,
    /// The notices the run sent (leavers' managers, the admins' digest) and those that failed.
    pub mail: MailReport,
    /// The remainders of messages the run did not finish before its deadline's stop time
    /// ([`remainders`]), to queue so the work goes on; the messages themselves are done.
    pub continuations: Vec<WorkItem>,
    /// Why the run planned and applied nothing and goes on whole in its `continuations`:
    /// Microsoft asked to wait past the stop time while the tenant was read. `None` when the
    /// tenant was read.
    pub postponed: Option<String>,
}

/// Plans and applies `items`, all of one connection, against its live tenant, all of it (no
/// deadline). See the module documentation for what it reads and writes.
pub async fn provision(
    services: &Services,
    items: &[WorkItem],
) -> Result<ProvisionReport, ProvisionError> {
    provision_until(services, items, Deadline::none()).await
}

/// [`provision`], starting no new work after `deadline`'s stop time: what is left is in the
/// report's `continuations`.
pub async fn provision_until(
    services: &Services,
    items: &[WorkItem],
    deadline: Deadline,
) -> Result<ProvisionReport, ProvisionError> {
    let Some(first) = items.first() else {
        return Err(ProvisionError::NoWork);
    };
    let id = first.connection_id.clone();
    if let Some(other) = items.iter().find(|i| i.connection_id != id) {
        return Err(ProvisionError::MixedConnections {
            first: id,
            other: other.connection_id.clone(),
        });
    }
    let deliveries = deliveries_of(items);
    let started = std::time::Instant::now();
    let run = send(open_run(services, id, items)).await?;
    let hr = batch::hr_batch(&run.items);
    let mut report = ProvisionReport {
        connection: run.id.clone(),
        deliveries,
        workers: hr.workers.len(),
        read: None,
        planned: 0,
        applied: None,
        refused: None,
        held: None,
        audit: Vec::new(),
        mail: MailReport::default(),
        continuations: Vec::new(),
        postponed: None,
    };
    let (directory, read) = match send(read_directory(services, &run, deadline)).await? {
        Read::Done(directory, read) => (directory, read),
        Read::GivenUp(source) => {
            return postpone_whole(report, items, &source).ok_or(ProvisionError::Directory {
                connection: run.id,
                source,
            });
        }
    };
    report.read = Some(read);

    let config = run.settings.config_json();
    let now = services.clock.now();
    let first_day_delivered =
        send(first_day::delivered(services, &run.id, &hr.workers, now)).await?;
    let request = PlanRequest {
        hr,
        directory: &directory,
        plugin: &run.plugin,
        plugin_config: &config,
        today: Today::Instant(now),
        guard: run.settings.guard.policy(),
        first_day_delivered,
    };
    let mut plan = pipeline::plan(request).map_err(|source| ProvisionError::Mapping {
        connection: run.id.clone(),
        source,
    })?;
    report.planned = plan.workers.iter().map(|w| w.actions.len()).sum();
    tracing::debug!(took = ?started.elapsed(), actions = report.planned, "read and planned");
    // What needs an admin is read off the whole plan, before the guard holds any of it.
    let digest = Digest::from_plan(&plan);
    send(hold_what_the_guard_refuses(
        services,
        &run,
        &mut plan,
        &mut report,
    ))
    .await?;
    let mut mail = RunMail::new(run.graph.clone(), &config, digest, deadline.stop_at());
    if let Some(held) = &report.held {
        mail.digest.push(
            DigestKind::HeldForApproval,
            format!(
                "the guard holds changes of this run until a person approves them (approval {held}; tenure approvals list)"
            ),
        );
    }
    // Before anything is applied: the records a killed attempt of these messages never wrote.
    send(audit_trail::recover(
        services.objects.as_ref(),
        &run.id,
        &run.items,
        &plan,
        services.clock.now(),
    ))
    .await
    .map_err(|source| ProvisionError::Store {
        connection: run.id.clone(),
        source,
    })?;
    if plan.workers.is_empty() {
        report.mail = send(mail.send(services, &run.id, &run.items, &[], Vec::new())).await;
        return Ok(report);
    }
    let applied = send(apply_and_audit(
        services,
        Applying {
            run,
            received: items,
            plan: &plan,
            directory: &directory,
            deadline,
        },
        &mut mail,
        &mut report,
    ))
    .await?;
    report.applied = Some(applied);
    Ok(report)
}

/// What one run works with, opened at its start.
struct Run {
    id: ConnectionId,
    connection: Connection,
    settings: MappingSettings,
    plugin: Arc<Plugin>,
    graph: GraphClient,
    exchange: Option<ExchangeClient>,
    /// The directory cache as stored (decoded once the Graph host is known).
    cache: Option<(Vec<u8>, Version)>,
    /// The items, each filled from its worker's last known record.
    items: Vec<WorkItem>,
}

/// The deliveries whose work `items` are, in order, each once.
fn deliveries_of(items: &[WorkItem]) -> Vec<String> {
    let mut deliveries: Vec<String> = Vec::new();
    for item in items {
        if !deliveries.contains(&item.delivery_id) {
            deliveries.push(item.delivery_id.clone());
        }
    }
    deliveries
}

/// Loads what the run needs. The reads of a cold start are round trips to the stores and
/// Microsoft: those that do not wait on each other go at once (connection, settings, directory
/// cache; then the plugin, the clients and the workers' known records).
async fn open_run(
    services: &Services,
    id: ConnectionId,
    items: &[WorkItem],
) -> Result<Run, ProvisionError> {
    let (connection, settings, cache) = futures::join!(
        send(load_connection(services, &id)),
        send(MappingSettings::load(services.objects.as_ref(), &id)),
        send(records::read_cache(services.objects.as_ref(), &id)),
    );
    let connection = connection?;
    let (settings, _) = settings?;
    let mut items = items.to_vec();
    // Boxed as `Send`: without it rustc loses the lifetimes of the inner futures and cannot
    // prove the whole run `Send` (needed by `tokio::spawn` and the Lambda runtime).
    let (plugin, clients, known) = futures::join!(
        send(plugins::load(services, &id, &settings.plugin)),
        send(open_connection(
            &connection,
            services.secrets.clone(),
            services.tenure_app.as_deref(),
            services.provision.client(),
        )),
        send(known::fill_and_remember(services, &id, &mut items)),
    );
    let plugin = plugin.map_err(|source| ProvisionError::Plugin {
        connection: id.clone(),
        source,
    })?;
    let (graph, exchange) = clients.map_err(|source| ProvisionError::Open {
        connection: id.clone(),
        source,
    })?;
    known?;
    Ok(Run {
        id,
        connection,
        settings,
        plugin,
        graph,
        exchange,
        cache,
        items,
    })
}

/// The tenant as a run read it, or the wait that stopped the read.
enum Read {
    /// Read (and the cache saved).
    Done(Snapshot, DirectoryRead),
    /// Microsoft asked to wait past the stop time ([`ApiError::OutOfTime`]): nothing read is
    /// used or kept, the cache is as it was.
    GivenUp(ApiError),
}

/// The tenant, through the directory cache, which is saved again before anything is applied:
/// the next run's delta then brings this run's own changes too. The read waits for no retry
/// past the deadline's stop time ([`Read::GivenUp`]); a read given up saves nothing, so the
/// cache stays the old one whole.
async fn read_directory(
    services: &Services,
    run: &Run,
    deadline: Deadline,
) -> Result<Read, ProvisionError> {
    let graph_url = run.connection.endpoints().graph;
    let (cached, read_at) = records::decode_cache(run.cache.clone(), &run.id, &graph_url);
    let (graph, exchange) = match deadline.stop_at() {
        Some(at) => (
            run.graph.clone().give_up_waiting_after(at),
            run.exchange.clone().map(|e| e.give_up_waiting_after(at)),
        ),
        None => (run.graph.clone(), run.exchange.clone()),
    };
    let (directory, delta, read) =
        match send(read_through_cache(&graph, exchange.as_ref(), cached)).await {
            Ok(read) => read,
            Err(source) if source.is_out_of_time() => return Ok(Read::GivenUp(source)),
            Err(source) => {
                return Err(send(api_failure(services, &run.connection, source)).await);
            }
        };
    send(records::save_cache(
        services.objects.as_ref(),
        &run.id,
        &graph_url,
        &directory,
        &delta,
        read_at,
    ))
    .await;
    Ok(Read::Done(directory, read))
}

/// A run whose tenant read was given up ([`Read::GivenUp`]): it plans and applies nothing, and
/// each of its messages goes on whole as a continuation (the same lane; the messages are done,
/// not a failed receive). A run with a message that brings no workers cannot be continued so
/// ([`continuation::whole_run`]): it fails as a read that may pass, and its messages come back.
fn postpone_whole(
    mut report: ProvisionReport,
    received: &[WorkItem],
    source: &ApiError,
) -> Option<ProvisionReport> {
    let continuations = continuation::whole_run(received)?;
    tracing::warn!(connection = %report.connection, messages = received.len(), reason = %source,
        "Microsoft asked to wait past the run's stop time while the tenant was read: nothing applied, the run goes on whole in continuations");
    report.postponed = Some(format!(
        "the tenant was not read before the run's stop time: {source}"
    ));
    report.continuations = continuations;
    Some(report)
}

/// Reads the connection's tenant again through its directory cache (only what changed since,
/// by delta) and keeps it, planning and applying nothing: what a person reviewing a held change
/// plans against ([`mod@crate::service::guard::review`]), so that the plan approved is the plan
/// provisioning makes from the same tenant. (A run keeps the cache before it applies, so after
/// a run the cache lacks that run's own changes until the next read.)
pub async fn refresh_directory(
    services: &Services,
    id: &ConnectionId,
) -> Result<(), ProvisionError> {
    let connection = send(load_connection(services, id)).await?;
    let (graph, exchange) = send(open_connection(
        &connection,
        services.secrets.clone(),
        services.tenure_app.as_deref(),
        services.provision.client(),
    ))
    .await
    .map_err(|source| ProvisionError::Open {
        connection: id.clone(),
        source,
    })?;
    let cache = send(records::read_cache(services.objects.as_ref(), id)).await;
    let graph_url = connection.endpoints().graph;
    let (cached, read_at) = records::decode_cache(cache, id, &graph_url);
    let (directory, delta, _) = send(read_through_cache(&graph, exchange.as_ref(), cached))
        .await
        .map_err(|source| ProvisionError::Directory {
            connection: id.clone(),
            source,
        })?;
    send(records::save_cache(
        services.objects.as_ref(),
        id,
        &graph_url,
        &directory,
        &delta,
        read_at,
    ))
    .await;
    Ok(())
}

/// Takes out of `plan` the workers the guard does not let through (the run's share, then the
/// rolling budget; workers a person approved pass) into a pending approval, and records a
/// refused run's plan for a person to read.
async fn hold_what_the_guard_refuses(
    services: &Services,
    run: &Run,
    plan: &mut Plan,
    report: &mut ProvisionReport,
) -> Result<(), ProvisionError> {
    let mut approved = send(gate::approved_workers(services, &run.id, &run.items)).await;
    send(gate::still_as_approved(
        services,
        &run.id,
        &run.items,
        plan,
        &mut approved,
    ))
    .await;
    let held = send(gate::gate(
        services,
        &run.id,
        &report.deliveries,
        &run.items,
        plan,
        &approved,
        &run.settings.guard,
    ))
    .await?;
    let Some(held) = held else {
        return Ok(());
    };
    report.held = Some(held.approval.clone());
    let Some(refused) = &held.refused else {
        return Ok(());
    };
    let key = send(records::write_refusal(
        services.objects.as_ref(),
        &run.id,
        &report.deliveries,
        refused,
    ))
    .await
    .map_err(|source| ProvisionError::Store {
        connection: run.id.clone(),
        source,
    })?;
    tracing::warn!(
        connection = %run.id,
        record = %key,
        approval = %held.approval,
        actions = report.planned,
        "the guard refused the run; it waits for approval (not retried: a person decides)"
    );
    report.refused = Some(key);
    Ok(())
}

/// What [`apply_and_audit`] works on.
struct Applying<'a> {
    run: Run,
    /// The run's messages as received (a continuation carries records as they were queued).
    received: &'a [WorkItem],
    plan: &'a Plan,
    directory: &'a Snapshot,
    deadline: Deadline,
}

/// Applies the plan in slices until the deadline's stop time ([`deadline`]), its audit records
/// durable as it goes ([`audit_trail`]: the intent first, then the records of applied changes at
/// most a second apart), even when some actions failed; failed or skipped actions make the run
/// [`ProvisionError::Incomplete`]. The workers it did not start go into the report's
/// continuations.
async fn apply_and_audit(
    services: &Services,
    applying: Applying<'_>,
    mail: &mut RunMail,
    report: &mut ProvisionReport,
) -> Result<ApplyReport, ProvisionError> {
    let Applying {
        run,
        received,
        plan,
        directory,
        deadline,
    } = applying;
    let store_error = |source| ProvisionError::Store {
        connection: run.id.clone(),
        source,
    };
    let objects = services.objects.as_ref();
    let delivery = report
        .deliveries
        .first()
        .map_or("delivery", String::as_str)
        .to_owned();
    let now = services.clock.now();
    let trail = send(audit_trail::Trail::begin(
        objects, &run.id, &run.items, &delivery, plan, now,
    ))
    .await
    .map_err(store_error)?;
    let first_day = FirstDayMail::from_settings(&mail.settings, run.connection.cloud);
    let mut writer = LiveDirectory::new(run.graph, run.exchange).with_first_day(first_day);
    // A retry that would wait past the stop time is not waited for: started by then, a request
    // still ends within the margin (which holds the longest request).
    if let Some(stop_at) = deadline.stop_at() {
        writer = writer.give_up_waiting_after(stop_at);
    }
    let options = ApplyOptions {
        concurrency: services.provision.concurrency.max(1),
    };
    let (records, applied_records) = tokio::sync::mpsc::unbounded_channel::<AuditRecord>();
    let apply = async move {
        let observer = move |_: &ActionOutcome, record: Option<&AuditRecord>| {
            if let Some(record) = record {
                // The writer outlives the apply; a send fails only once it is gone.
                let _ = records.send(record.clone());
            }
        };
        apply_in_slices(plan, &writer, options, deadline, &observer).await
    };
    let ((applied, unfinished), written) =
        futures::join!(send(apply), send(trail.write(objects, applied_records)));
    report.audit = written.map_err(store_error)?;
    send(trail.end(objects)).await.map_err(store_error)?;
    tracing::debug!(records = report.audit.len(), "applied and audited");
    let remainders = continuation::remainders(received, &unfinished);
    let continued: Vec<bool> = remainders.iter().map(Option::is_some).collect();
    report.continuations = remainders.into_iter().flatten().collect();
    let done = finished_part(plan, &unfinished);
    send(first_day::record(services, &run.id, &done, &applied)).await;
    mail.digest.add_not_delivered(&applied);
    let leavers = leaver_notices(&done, &applied, directory);
    report.mail = send(mail.send(services, &run.id, &run.items, &continued, leavers)).await;
    tracing::debug!("notices sent");
    let (done, deferred, failed, skipped) = applied.counts();
    tracing::info!(connection = %run.id, applied = done, deferred, failed, skipped,
        unfinished = unfinished.len(), continuations = report.continuations.len(), "provisioned");
    if failed + skipped > 0 {
        let first = applied
            .outcomes
            .iter()
            .find_map(|o| match &o.outcome {
                Outcome::Failed { error } => Some(format!("{} {}: {error}", o.kind, o.employee_id)),
                _ => None,
            })
            .unwrap_or_else(|| "skipped after an earlier failure".to_owned());
        return Err(ProvisionError::Incomplete {
            connection: run.id,
            failed: failed + skipped,
            total: applied.outcomes.len(),
            first,
        });
    }
    Ok(applied)
}

/// Applies the workers of `plan` that have actions, a slice at a time at the pace `deadline`
/// allows; gives what became of the actions applied and the employee ids of the workers not
/// finished: never started, or with actions postponed (the writer gave them up rather than
/// wait past the stop time: the slice then started nothing more, and no slice follows). A
/// worker partly applied is among them: its continuation plans it again against the tenant,
/// so what was applied is not planned (nor audited) twice.
async fn apply_in_slices(
    plan: &Plan,
    writer: &LiveDirectory,
    options: ApplyOptions,
    deadline: Deadline,
    observer: crate::apply::Observer<'_>,
) -> (ApplyReport, HashSet<String>) {
    let working: Vec<usize> = (0..plan.workers.len())
        .filter(|&i| !plan.workers[i].actions.is_empty())
        .collect();
    let mut pace = deadline::Pace::new(deadline, options.concurrency);
    let mut applied = ApplyReport::default();
    let mut next = 0;
    while next < working.len() {
        let size = pace.next(working.len() - next);
        if size == 0 {
            break;
        }
        let slice = plan_of(plan, &working[next..next + size]);
        let started = std::time::Instant::now();
        let (report, _) = apply_observed(&slice, writer, options, observer).await;
        pace.record(size, started.elapsed());
        tracing::debug!(workers = size, took = ?started.elapsed(), left = working.len() - next - size,
            stop_in = ?deadline.stop_at().map(|at| at.saturating_duration_since(std::time::Instant::now())),
            "slice applied");
        let postponed: Vec<String> = report
            .postponed_workers()
            .into_iter()
            .map(str::to_owned)
            .collect();
        applied.outcomes.extend(report.outcomes);
        next += size;
        if !postponed.is_empty() {
            tracing::info!(
                workers = postponed.len(),
                "Microsoft asked to wait past the stop time: left to the continuation"
            );
            let mut unfinished: HashSet<String> = postponed.into_iter().collect();
            unfinished.extend(
                working[next..]
                    .iter()
                    .map(|&i| plan.workers[i].employee_id.clone()),
            );
            return (applied, unfinished);
        }
    }
    let unfinished = working[next..]
        .iter()
        .map(|&i| plan.workers[i].employee_id.clone())
        .collect();
    (applied, unfinished)
}

/// The part of `plan` with only the workers at `indices` (in that order).
fn plan_of(plan: &Plan, indices: &[usize]) -> Plan {
    Plan {
        today: plan.today.clone(),
        summary: plan.summary.clone(),
        workers: indices.iter().map(|&i| plan.workers[i].clone()).collect(),
        quarantined: Vec::new(),
        guard: plan.guard.clone(),
        plugin: None,
        matching: None,
        warnings: Vec::new(),
    }
}

/// `plan` without the workers in `unfinished` (what the run finished, for the first-day
/// records and the leavers' notices).
fn finished_part(plan: &Plan, unfinished: &HashSet<String>) -> Plan {
    let indices: Vec<usize> = (0..plan.workers.len())
        .filter(|&i| !unfinished.contains(&plan.workers[i].employee_id))
        .collect();
    Plan {
        quarantined: plan.quarantined.clone(),
        ..plan_of(plan, &indices)
    }
}

async fn load_connection(
    services: &Services,
    id: &ConnectionId,
) -> Result<Connection, ProvisionError> {
    let connection = match services.connections.get(id).await {
        Ok(Some((connection, _))) => connection,
        Ok(None) => return Err(ProvisionError::UnknownConnection(id.clone())),
        Err(source) => {
            return Err(ProvisionError::Connection {
                connection: id.clone(),
                source,
            });
        }
    };
    if let ConnectionStatus::NeedsRelink { reason } = &connection.status {
        return Err(ProvisionError::NeedsRelink {
            connection: id.clone(),
            reason: reason.clone(),
        });
    }
    Ok(connection)
}

/// A failed read: when Microsoft refused the credential the connection's status says so
/// (`invalid_grant` → needs re-link), and the error is the permanent one.
async fn api_failure(
    services: &Services,
    connection: &Connection,
    source: ApiError,
) -> ProvisionError {
    if let Some(status) = status_after(connection, &source) {
        if let Err(error) = set_status(
            services.connections.as_ref(),
            &connection.id,
            status.clone(),
            jiff::Timestamp::now(),
        )
        .await
        {
            tracing::warn!(connection = %connection.id, %error, "cannot record the connection's status");
        }
        if let ConnectionStatus::NeedsRelink { reason } = status {
            return ProvisionError::NeedsRelink {
                connection: connection.id.clone(),
                reason,
            };
        }
    }
    ProvisionError::Directory {
        connection: connection.id.clone(),
        source,
    }
}

/// A future boxed with its `Send` bound spelled out.
fn send<'a, T>(
    future: impl std::future::Future<Output = T> + Send + 'a,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>> {
    Box::pin(future)
}
