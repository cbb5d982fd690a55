//! The run: creates first, then every worker's other actions, many workers at once, then the
//! group additions gathered per group.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use rustc_hash::FxHashMap;

use super::audit::AuditRecord;
use super::outcome::{ActionOutcome, ApplyReport, Outcome};
use super::password::new_password;
use super::writer::{DirectoryWriter, Target, WriteError, Written, chains};
use crate::plan::{Action, Op, Plan, WorkerPlan};

/// How the applier runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Workers (and, at the end, groups) handled at once. The Microsoft clients throttle
    /// themselves further.
    pub concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self { concurrency: 8 }
    }
}

/// Told of each action as soon as it is settled, with its audit record when it was applied (to
/// write the audit trail as it happens, and move a progress bar).
pub type Observer<'a> = &'a (dyn Fn(&ActionOutcome, Option<&AuditRecord>) + Sync);

/// Carries out a plan. Returns every action's outcome, in plan order, and an audit record for
/// every change applied. Never fails as a whole: what could not be done is in the report.
pub async fn apply<W: DirectoryWriter>(
    plan: &Plan,
    writer: &W,
    options: ApplyOptions,
) -> (ApplyReport, Vec<AuditRecord>) {
    apply_observed(plan, writer, options, &|_, _| {}).await
}

/// [`apply`], telling `observer` of each action as it is settled.
///
/// Once the directory gives up on an action for want of time ([`WriteError::OutOfTime`]: a
/// provision run's stop time came), no further action is started: those in flight settle, and
/// every action not yet started is [`Outcome::Postponed`] too, for the run's continuation.
pub async fn apply_observed<W: DirectoryWriter>(
    plan: &Plan,
    writer: &W,
    options: ApplyOptions,
    observer: Observer<'_>,
) -> (ApplyReport, Vec<AuditRecord>) {
    let concurrency = options.concurrency.max(1);
    let time_up = &TimeUp::default();
    // Every settled action passes here: the first postponed one stops the starting of others.
    let observer: Observer<'_> = &|settled: &ActionOutcome, record: Option<&AuditRecord>| {
        if matches!(settled.outcome, Outcome::Postponed { .. }) {
            time_up.set();
        }
        observer(settled, record);
    };
    // Accounts an interrupted run already created, looked up together rather than one by one
    // (when that fails, each create asks on its own).
    let to_create: Vec<&str> = plan
        .workers
        .iter()
        .filter(|w| creates(w).is_some())
        .map(|w| w.employee_id.as_str())
        .collect();
    let existing: Option<FxHashMap<String, String>> = match to_create.is_empty() {
        true => Some(FxHashMap::default()),
        false => match writer.find_users(&to_create).await {
            Ok(found) => Some(found.into_iter().collect()),
            Err(WriteError::OutOfTime { .. }) => {
                time_up.set();
                None
            }
            Err(_) => None,
        },
    };
    let existing = existing.as_ref();
    // New accounts first, so that every manager exists before anyone points at it.
    // Streams of indices and owned values, not of references: closures over borrowed items
    // make rustc unable to prove the whole run `Send` (a known limit of its higher-ranked
    // lifetime checks), and hosts spawn it on a multi-threaded runtime.
    let creating: Vec<usize> = (0..plan.workers.len())
        .filter(|&i| creates(&plan.workers[i]).is_some())
        .collect();
    let created: Vec<(usize, WorkerRun)> = futures::stream::iter(creating)
        .map(|i| async move {
            (
                i,
                create(&plan.workers[i], writer, existing, time_up, observer).await,
            )
        })
        .buffered(concurrency)
        .collect()
        .await;
    let mut runs: Vec<WorkerRun> = plan.workers.iter().map(|_| WorkerRun::default()).collect();
    let mut new_ids: FxHashMap<&str, String> = FxHashMap::default();
    for (i, run) in created {
        if let Some(id) = &run.user_id {
            new_ids.insert(plan.workers[i].employee_id.as_str(), id.clone());
        }
        runs[i] = run;
    }
    let new_ids = &new_ids;
    let mut runs: Vec<WorkerRun> = futures::stream::iter(runs.into_iter().enumerate())
        .map(|(i, run)| async move {
            rest(&plan.workers[i], run, writer, new_ids, time_up, observer).await
        })
        .buffered(concurrency)
        .collect()
        .await;
    add_to_groups(plan, &mut runs, writer, concurrency, time_up, observer).await;
    let mut report = ApplyReport::default();
    let mut audit = Vec::new();
    for run in runs {
        report.outcomes.extend(run.outcomes);
        audit.extend(run.audit);
    }
    (report, audit)
}

/// Whether the directory gave up on an action for want of time: then nothing more is started.
#[derive(Debug, Default)]
struct TimeUp(AtomicBool);

impl TimeUp {
    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What an action the run did not start for want of time ends in.
fn not_started() -> WriteError {
    WriteError::OutOfTime {
        reason: "not started: an earlier request would have waited past the run's stop time"
            .to_owned(),
    }
}

/// One worker's progress.
#[derive(Debug, Default)]
struct WorkerRun {
    user_id: Option<String>,
    outcomes: Vec<ActionOutcome>,
    audit: Vec<AuditRecord>,
    /// The create failed: nothing else can happen.
    blocked: bool,
    /// Group additions left for the end: (slot in `outcomes`, index in the worker's actions).
    group_adds: Vec<(usize, usize)>,
}

impl WorkerRun {
    fn record(
        &mut self,
        worker: &WorkerPlan,
        action: &Action,
        result: Result<Option<String>, Outcome>,
        observer: Observer<'_>,
    ) {
        let outcome = self.settle(worker, action, result, observer);
        self.outcomes.push(outcome);
    }

    /// The outcome of an action, auditing it when it was applied; the observer is told.
    fn settle(
        &mut self,
        worker: &WorkerPlan,
        action: &Action,
        result: Result<Option<String>, Outcome>,
        observer: Observer<'_>,
    ) -> ActionOutcome {
        let (outcome, request_id) = match result {
            Ok(request_id) => (Outcome::Applied, request_id),
            Err(outcome) => (outcome, None),
        };
        let applied = outcome == Outcome::Applied;
        if applied {
            self.audit.push(AuditRecord::of(
                worker,
                self.user_id.clone(),
                action,
                &jiff::Timestamp::now().to_string(),
                request_id.clone(),
            ));
        }
        let settled = ActionOutcome {
            employee_id: worker.employee_id.clone(),
            kind: action.op.kind().to_owned(),
            outcome,
            request_id,
        };
        observer(&settled, self.audit.last().filter(|_| applied));
        settled
    }
}

fn creates(worker: &WorkerPlan) -> Option<&Action> {
    worker
        .actions
        .first()
        .filter(|a| matches!(a.op, Op::CreateUser { .. }))
}

/// Creates the worker's account, unless an earlier run that was cut off already did.
async fn create<W: DirectoryWriter>(
    worker: &WorkerPlan,
    writer: &W,
    existing: Option<&FxHashMap<String, String>>,
    time_up: &TimeUp,
    observer: Observer<'_>,
) -> WorkerRun {
    let mut run = WorkerRun::default();
    let Some(action) = creates(worker) else {
        return run;
    };
    let found = match existing {
        _ if time_up.is_up() => Err(not_started()),
        Some(existing) => Ok(existing.get(&worker.employee_id).cloned()),
        None => writer.find_user(&worker.employee_id).await,
    };
    let result = match found {
        Ok(Some(id)) => {
            // Made by an interrupted run: finish the job with it rather than make a second.
            run.user_id = Some(id);
            let adopted = ActionOutcome {
                employee_id: worker.employee_id.clone(),
                kind: action.op.kind().to_owned(),
                outcome: Outcome::Applied,
                request_id: None,
            };
            observer(&adopted, None);
            run.outcomes.push(adopted);
            return run;
        }
        Ok(None) => writer
            .create_user(&worker.employee_id, &action.op, &new_password())
            .await
            .map(|Written { value, request_id }| {
                run.user_id = Some(value);
                request_id
            }),
        Err(error) => Err(error),
    };
    run.blocked = result.is_err();
    run.record(worker, action, result.map_err(failed), observer);
    run
}

/// Every action but the create and the group additions, in plan order; runs of plain Graph
/// writes go to the directory together.
async fn rest<W: DirectoryWriter>(
    worker: &WorkerPlan,
    mut run: WorkerRun,
    writer: &W,
    new_ids: &FxHashMap<&str, String>,
    time_up: &TimeUp,
    observer: Observer<'_>,
) -> WorkerRun {
    let user_id = run
        .user_id
        .clone()
        .or_else(|| worker.user_id.as_deref().map(str::to_owned));
    let upn = worker.user_principal_name.clone().unwrap_or_default();
    let skip_create = usize::from(creates(worker).is_some());
    let actions = &worker.actions;
    let mut ops: Vec<Result<Cow<'_, Op>, Outcome>> = Vec::with_capacity(actions.len());
    for action in actions {
        ops.push(match time_up.is_up() {
            true => Err(failed(not_started())),
            false => resolve(&action.op, writer, new_ids).await,
        });
    }
    let mut mailbox_waits = false;
    let mut i = skip_create;
    while i < actions.len() {
        let action = &actions[i];
        if time_up.is_up() {
            run.record(worker, action, Err(failed(not_started())), observer);
            i += 1;
            continue;
        }
        let Some(user_id) = user_id.as_deref().filter(|_| !run.blocked) else {
            let reason = "the account could not be created".to_owned();
            run.record(worker, action, Err(Outcome::Skipped { reason }), observer);
            i += 1;
            continue;
        };
        let target = Target {
            employee_id: &worker.employee_id,
            user_id,
            user_principal_name: &upn,
        };
        let chainable = |j: usize| {
            ops[j].as_ref().is_ok_and(|op| {
                chains(op) && !(mailbox_waits && matches!(**op, Op::RemoveLicense { .. }))
            })
        };
        if chainable(i) {
            let end = (i..actions.len())
                .find(|&j| !chainable(j))
                .unwrap_or(actions.len());
            let chain: Vec<&Op> = ops[i..end]
                .iter()
                .filter_map(|op| op.as_ref().ok().map(|op| &**op))
                .collect();
            let results = writer.write_chain(target, &chain).await;
            for (action, result) in actions[i..end].iter().zip(results) {
                let result = result.map(|w| w.request_id).map_err(failed);
                run.record(worker, action, result, observer);
            }
            i = end;
            continue;
        }
        let result = match &ops[i] {
            Err(outcome) => Err(outcome.clone()),
            Ok(op) => match &**op {
                Op::AddGroupMember { .. } => {
                    run.group_adds.push((run.outcomes.len(), i));
                    run.outcomes.push(ActionOutcome {
                        employee_id: worker.employee_id.clone(),
                        kind: action.op.kind().to_owned(),
                        outcome: Outcome::Skipped {
                            reason: "not attempted".into(),
                        },
                        request_id: None,
                    });
                    i += 1;
                    continue;
                }
                Op::RemoveLicense { .. } if mailbox_waits => Err(Outcome::Deferred {
                    reason: "the license stays until the mailbox has been converted".into(),
                }),
                Op::ResetPassword => writer
                    .reset_password(target, &new_password())
                    .await
                    .map(|w| w.request_id)
                    .map_err(failed),
                op => writer
                    .write(target, op)
                    .await
                    .map(|w| w.request_id)
                    .map_err(failed),
            },
        };
        if is_mailbox(&action.op) && result.is_err() {
            mailbox_waits = true;
        }
        run.record(worker, action, result, observer);
        i += 1;
    }
    run
}

/// The action as the directory needs it: a manager's object id looked up when the plan could
/// not know it.
async fn resolve<'a, W: DirectoryWriter>(
    op: &'a Op,
    writer: &W,
    new_ids: &FxHashMap<&str, String>,
) -> Result<Cow<'a, Op>, Outcome> {
    let Op::SetManager {
        manager_employee_id,
        manager_user_id: None,
    } = op
    else {
        return Ok(Cow::Borrowed(op));
    };
    let id = match new_ids.get(manager_employee_id.as_str()) {
        Some(id) => id.clone(),
        None => match writer.find_user(manager_employee_id).await {
            Ok(Some(id)) => id,
            Ok(None) => {
                return Err(Outcome::Deferred {
                    reason: format!("manager {manager_employee_id} has no account yet"),
                });
            }
            Err(error) => return Err(failed(error)),
        },
    };
    Ok(Cow::Owned(Op::SetManager {
        manager_employee_id: manager_employee_id.clone(),
        manager_user_id: Some(id),
    }))
}

/// A group addition waiting for the end: which worker, its outcome's slot, which action.
struct GroupAdd {
    worker: usize,
    slot: usize,
    action: usize,
}

type WriteResult = Result<Written<()>, WriteError>;

/// Every worker's group additions, gathered per group so the directory can send many at once.
async fn add_to_groups<W: DirectoryWriter>(
    plan: &Plan,
    runs: &mut [WorkerRun],
    writer: &W,
    concurrency: usize,
    time_up: &TimeUp,
    observer: Observer<'_>,
) {
    let mut by_group: BTreeMap<&str, Vec<GroupAdd>> = BTreeMap::new();
    for (worker, run) in runs.iter().enumerate() {
        for &(slot, action) in &run.group_adds {
            if let Op::AddGroupMember { group_id, .. } = &plan.workers[worker].actions[action].op {
                by_group.entry(group_id).or_default().push(GroupAdd {
                    worker,
                    slot,
                    action,
                });
            }
        }
    }
    let user_ids: Vec<Option<String>> = runs
        .iter()
        .zip(&plan.workers)
        .map(|(run, worker)| {
            run.user_id
                .clone()
                .or_else(|| worker.user_id.as_deref().map(str::to_owned))
        })
        .collect();
    let user_ids = &user_ids;
    let results: Vec<(Vec<GroupAdd>, Vec<WriteResult>)> =
        futures::stream::iter(by_group.into_values())
            .map(|members| async move {
                if time_up.is_up() {
                    let results = members.iter().map(|_| Err(not_started())).collect();
                    return (members, results);
                }
                let targets: Vec<Target<'_>> = members
                    .iter()
                    .map(|add| {
                        let worker = &plan.workers[add.worker];
                        Target {
                            employee_id: &worker.employee_id,
                            user_id: user_ids[add.worker].as_deref().unwrap_or_default(),
                            user_principal_name: worker
                                .user_principal_name
                                .as_deref()
                                .unwrap_or_default(),
                        }
                    })
                    .collect();
                let first = &members[0];
                let op = &plan.workers[first.worker].actions[first.action].op;
                let results = writer.add_group_members(op, &targets).await;
                (members, results)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
    for (members, results) in results {
        for (add, result) in members.into_iter().zip(results) {
            let worker = &plan.workers[add.worker];
            let result = result.map(|w| w.request_id).map_err(failed);
            let run = &mut runs[add.worker];
            run.outcomes[add.slot] =
                run.settle(worker, &worker.actions[add.action], result, observer);
        }
    }
}

fn is_mailbox(op: &Op) -> bool {
    matches!(
        op,
        Op::ConvertToSharedMailbox
            | Op::ConvertToUserMailbox
            | Op::GrantMailboxAccess { .. }
            | Op::HideFromAddressList { .. }
    )
}

fn failed(error: WriteError) -> Outcome {
    match error {
        WriteError::NotReady { reason } => Outcome::Deferred { reason },
        WriteError::OutOfTime { reason } => Outcome::Postponed { reason },
        other => Outcome::Failed {
            error: other.to_string(),
        },
    }
}
