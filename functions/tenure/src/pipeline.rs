//! The pipeline every host runs: read → map → plan → guard → apply → audit.
//!
//! Each stage knows only its inputs: readers make workers, the plugin host makes desired states,
//! the planner compares them with the directory without calling anything, the guard judges, and
//! the applier carries the plan out through a [`DirectoryWriter`].

use rustc_hash::FxHashSet;

use crate::apply::{ApplyOptions, ApplyReport, DirectoryWriter, Observer, apply_observed};
use crate::correlate::{MatchReport, MatchingConfig, MatchingConfigError, correlate};
use crate::desired::DesiredState;
use crate::directory::DirectoryIndex;
use crate::directory::Snapshot;
use crate::guard::GuardPolicy;
use crate::hr::{HrBatch, SourcedWorker};
use crate::notify::{Delivered, NotificationSettings, NotificationsConfigError};
use crate::plan::{FirstDayPlanning, Plan, PlanError, PlanInput, PluginReport, build_plan_indexed};
use crate::plugin::{MapItem, Plugin, PluginError};
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
    let items = map_items(&hr.workers, directory, today);
    // The directory's index is made while the plugin maps: the planner needs it first thing.
    let (outcome, index) = std::thread::scope(|scope| {
        let index = scope.spawn(|| DirectoryIndex::new(directory));
        let outcome = plugin.map_all(&items, &domains, plugin_config);
        let index = index
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (outcome, index)
    });
    let desired = outcome
        .results
        .into_iter()
        .zip(&items)
        .map(|(result, item)| match result {
            Ok(mut state) => {
                if item.has_account {
                    forget_identities(&mut state);
                }
                Ok(state)
            }
            Err(error) => Err(error.to_string()),
        })
        .collect();
    drop(items);
    let mut plan = build_plan_indexed(
        PlanInput {
            today,
            workers: &hr.workers,
            desired,
            quarantined: hr.quarantined,
            managed: &managed,
            directory,
            matching: &matching,
            first_day: notifications.first_day().map(|access| FirstDayPlanning {
                access,
                delivered: &first_day_delivered,
            }),
        },
        &index,
    )?;
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
        fuel_consumed: outcome.fuel_consumed,
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

/// Lets go of the identity candidates of a worker who has an account: they only name a new
/// account, which such a worker never gets (two accounts with the employee id quarantine the
/// worker instead), and a large plan would hold one set for each of its workers.
fn forget_identities(state: &mut DesiredState) {
    if let Some(account) = &mut state.account {
        account.identities = Vec::new();
    }
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
