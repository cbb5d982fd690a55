//! The pipeline every host runs: read → map → plan → guard → apply → audit.
//!
//! Each stage knows only its inputs: readers make workers, the plugin host makes desired states,
//! the planner compares them with the directory without calling anything, the guard judges, and
//! the applier carries the plan out through a [`DirectoryWriter`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use rustc_hash::FxHashSet;

use crate::apply::{ApplyOptions, ApplyReport, DirectoryWriter, Observer, apply_observed};
use crate::correlate::{MatchReport, MatchingConfig, MatchingConfigError, correlate};
use crate::desired::DesiredState;
use crate::directory::DirectoryIndex;
use crate::directory::Snapshot;
use crate::guard::GuardPolicy;
use crate::hr::{HrBatch, SourcedWorker};
use crate::notify::{Delivered, NotificationSettings, NotificationsConfigError};
use crate::plan::{FirstDayPlanning, Plan, PlanBuilder, PlanError, PlanInput, PluginReport};
use crate::plugin::{MapItem, MapOutcome, Plugin, PluginError};
use crate::today::Today;

/// What a plan is made from.
pub struct PlanRequest<'a> {
    /// The HR records, already read and checked.
    pub hr: HrBatch,
    /// The directory as it is.
    pub directory: &'a Snapshot,
    /// The loaded mapping plugin.
    pub plugin: &'a Plugin,
    /// The plugin's configuration (JSON text).
    pub plugin_config: &'a str,
    /// The moment the plan is for.
    pub today: Today,
    /// When to refuse the plan.
    pub guard: GuardPolicy,
    /// The starts whose first-day access was already delivered (none: every start due today
    /// gets its access, when the configuration's `notifications` turn it on).
    pub first_day_delivered: Delivered,
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The plugin refused its configuration.
    #[error("the mapping configuration is not valid: {0}")]
    Config(#[source] PluginError),
    /// The planner could not plan.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The configuration's `matching` section cannot be used.
    #[error("the mapping configuration is not valid: {0}")]
    Matching(#[from] MatchingConfigError),
    /// The configuration's `notifications` section cannot be used.
    #[error("the mapping configuration is not valid: {0}")]
    Notifications(#[from] NotificationsConfigError),
}

/// Maps every worker through the plugin, plans against the directory and judges the plan.
/// Never writes anything.
pub fn plan(request: PlanRequest<'_>) -> Result<Plan, PipelineError> {
    let PlanRequest {
        hr,
        directory,
        plugin,
        plugin_config,
        today,
        guard,
        first_day_delivered,
    } = request;
    let domains = directory.tenant.verified_domains.clone();
    let managed = plugin
        .validate_config(plugin_config, &domains)
        .map_err(PipelineError::Config)?;
    let matching = MatchingConfig::from_plugin_config(plugin_config)?;
    let mut hr = hr;
    apply_leave_dates(&mut hr.workers, today);
    let notifications = NotificationSettings::from_plugin_config(plugin_config)?;
    let input = PlanInput {
        today,
        workers: &hr.workers,
        desired: Vec::new(),
        quarantined: std::mem::take(&mut hr.quarantined),
        managed: &managed,
        directory,
        matching: &matching,
        first_day: notifications.first_day().map(|access| FirstDayPlanning {
            access,
            delivered: &first_day_delivered,
        }),
    };
    let (mut plan, fuel_consumed) = plan_while_mapping(input, plugin, &domains, plugin_config)?;
    crate::plan::name_rules(&mut plan.warnings, plugin_config, directory);
    let managed_users = directory
        .users
        .iter()
        .filter(|u| u.employee_id.is_some())
        .count();
    // Accounts this plan adopts are managed from now on: they count like the others.
    plan.guard = Some(guard.judge(&plan, managed_users + plan.summary.adopted));
    plan.plugin = Some(PluginReport {
        sha256: plugin.sha256().to_owned(),
        fuel_consumed,
    });
    Ok(plan)
}

/// The match report of a plan request: every worker without an account against the accounts
/// without an `employeeId` (as [`plan`] makes it, and listing the unmatched accounts even when
/// every worker has an account). Never writes anything.
pub fn match_report(request: PlanRequest<'_>) -> Result<MatchReport, PipelineError> {
    let directory = request.directory;
    let config = MatchingConfig::from_plugin_config(request.plugin_config)?;
    let plan = plan(request)?;
    Ok(match plan.matching {
        Some(report) => report,
        None => correlate(&[], &DirectoryIndex::new(directory), &config),
    })
}

/// Whether a sync applies its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyMode {
    /// Apply the plan (unless the guard refuses it).
    Apply(ApplyOptions),
    /// Stop after the plan.
    DryRun,
}

/// What a sync did.
#[derive(Debug)]
pub struct SyncReport {
    /// The plan, with the guard's verdict.
    pub plan: Plan,
    /// What became of each action; `None` when nothing was applied (a dry run, or the guard
    /// refused the plan).
    pub applied: Option<ApplyReport>,
}

/// Plans (as [`plan`]), shows the plan to `on_plan`, and, unless this is a dry run or the guard
/// refuses, applies it to `writer`, telling `observer` of each action as it is settled (with
/// its audit record when it was applied).
pub async fn sync<W: DirectoryWriter>(
    request: PlanRequest<'_>,
    mode: ApplyMode,
    writer: &W,
    on_plan: &(dyn Fn(&Plan) + Sync),
    observer: Observer<'_>,
) -> Result<SyncReport, PipelineError> {
    let plan = plan(request)?;
    on_plan(&plan);
    let refused = plan.guard.as_ref().is_some_and(|g| !g.allowed);
    let applied = match mode {
        ApplyMode::Apply(options) if !refused => {
            Some(apply_observed(&plan, writer, options, observer).await.0)
        }
        _ => None,
    };
    Ok(SyncReport { plan, applied })
}

/// Maps every worker of `input` through the plugin and plans them as the answers come: the
/// workers without an account together first (their accounts are found or named among them
/// all, and a manager may be one of them), then the others batch by batch, so that a large plan
/// never holds every answer at once. The directory's index is made while the plugin maps. Gives
/// the plan (not yet judged) and the fuel the plugin burnt.
fn plan_while_mapping(
    input: PlanInput<'_>,
    plugin: &Plugin,
    domains: &[String],
    config: &str,
) -> Result<(Plan, u64), PlanError> {
    let items = map_items(input.workers, input.directory, input.today);
    let (first, later): (Vec<usize>, Vec<usize>) =
        (0..items.len()).partition(|&at| !items[at].has_account);
    let items_at = |positions: &[usize]| -> Vec<MapItem<'_>> {
        positions.iter().map(|&at| items[at]).collect()
    };
    let (first_items, later_items) = (items_at(&first), items_at(&later));
    drop(items);
    let directory = input.directory;
    let first_mapped = plugin.map_all(&first_items, domains, config);
    let fuel = AtomicU64::new(first_mapped.fuel_consumed);
    let input = PlanInput {
        desired: answers(first_mapped.results),
        ..input
    };
    let index = OnceLock::new();
    let started = OnceLock::new();
    // The later batches mapped before the plan is started, planned as soon as it is.
    let waiting = Mutex::new(Some(Vec::new()));
    let add_later = |builder: &PlanBuilder<'_, '_>, start: usize, answers: Answers| {
        builder.add(&later[start..start + answers.len()], answers);
    };
    let deliver = |start: usize, mapped: MapOutcome| {
        fuel.fetch_add(mapped.fuel_consumed, Ordering::Relaxed);
        let answers = answers(mapped.results);
        if let Some(queue) = lock(&waiting).as_mut() {
            queue.push((start, answers));
            return;
        }
        if let Some(Ok(builder)) = started.get() {
            add_later(builder, start, answers);
        }
    };
    // One of the mapping threads makes the index and starts the plan, then maps too.
    plugin.map_each_beside(&later_items, domains, config, &deliver, || {
        let index = index.get_or_init(|| DirectoryIndex::new(directory));
        let built = started.get_or_init(|| PlanBuilder::new(input, &first, index));
        let queued = lock(&waiting).take().unwrap_or_default();
        if let Ok(builder) = built {
            for (start, answers) in queued {
                add_later(builder, start, answers);
            }
        }
    });
    drop((first_items, later_items));
    let all_planned = started
        .into_inner()
        .expect("the plan is started once the first workers are mapped")?
        .all_planned()?;
    // The index is let go before the plan is put in order, which needs room of its own.
    drop(index);
    Ok((all_planned.into_plan(), fuel.into_inner()))
}

/// The plugin's answers as the planner takes them: a failure is its message.
type Answers = Vec<Result<DesiredState, String>>;

fn answers(results: Vec<Result<DesiredState, PluginError>>) -> Answers {
    results
        .into_iter()
        .map(|result| result.map_err(|error| error.to_string()))
        .collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Applies each worker's leave dates to their employment status on today (in their zone), so
/// that a leave starts and ends on its day whatever the HR system sends and when
/// ([`crate::worker::Worker::status_on`]).
pub fn apply_leave_dates(workers: &mut [SourcedWorker], today: Today) {
    for sourced in workers {
        let worker = &mut sourced.worker;
        if worker.leave_start_date.is_none() && worker.leave_end_date.is_none() {
            continue;
        }
        worker.employment_status = worker.status_on(today.in_zone(worker.time_zone.as_ref()));
    }
}

/// What the plugin is given for each worker: the record, today in the worker's time zone, and
/// whether a directory user already carries the worker's employee id.
pub fn map_items<'a>(
    workers: &'a [SourcedWorker],
    directory: &Snapshot,
    today: Today,
) -> Vec<MapItem<'a>> {
    let with_account: FxHashSet<&str> = directory
        .users
        .iter()
        .filter_map(|u| u.employee_id.as_deref())
        .collect();
    workers
        .iter()
        .map(|s| MapItem {
            worker: &s.worker,
            today: today.in_zone(s.worker.time_zone.as_ref()),
            has_account: with_account.contains(s.worker.employee_id.as_str()),
        })
        .collect()
}
