//! The run: creates first, then every worker's other actions, many workers at once.

use futures::StreamExt;
use rustc_hash::FxHashMap;

use super::audit::{AuditRecord, before_after};
use super::outcome::{ActionOutcome, ApplyReport, Outcome};
use super::password::new_password;
use super::writer::{DirectoryWriter, Target, WriteError, Written};
use crate::plan::{Action, Op, Plan, WorkerPlan};

/// How the applier runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Workers handled at once. The Microsoft clients throttle themselves further.
    pub concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self { concurrency: 8 }
    }
}

/// Carries out a plan. Returns every action's outcome, in plan order, and an audit record for
/// every change applied. Never fails as a whole: what could not be done is in the report.
pub async fn apply<W: DirectoryWriter>(
    plan: &Plan,
    writer: &W,
    options: ApplyOptions,
) -> (ApplyReport, Vec<AuditRecord>) {
    let concurrency = options.concurrency.max(1);
    // New accounts first, so that every manager exists before anyone points at it.
    let created: Vec<(usize, WorkerRun)> = futures::stream::iter(plan.workers.iter().enumerate())
        .filter(|(_, w)| std::future::ready(creates(w).is_some()))
        .map(|(i, w)| async move { (i, create(w, writer).await) })
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
    let finished: Vec<WorkerRun> = futures::stream::iter(plan.workers.iter().zip(runs))
        .map(|(worker, run)| async move { rest(worker, run, writer, new_ids).await })
        .buffered(concurrency)
        .collect()
        .await;
    let mut report = ApplyReport::default();
    let mut audit = Vec::new();
    for run in finished {
        report.outcomes.extend(run.outcomes);
        audit.extend(run.audit);
    }
    (report, audit)
}

/// One worker's progress.
#[derive(Debug, Default)]
struct WorkerRun {
    user_id: Option<String>,
    outcomes: Vec<ActionOutcome>,
    audit: Vec<AuditRecord>,
    /// The create failed: nothing else can happen.
    blocked: bool,
}

impl WorkerRun {
    fn record(
        &mut self,
        worker: &WorkerPlan,
        action: &Action,
        result: Result<Option<String>, Outcome>,
    ) {
        let (outcome, request_id) = match result {
            Ok(request_id) => (Outcome::Applied, request_id),
            Err(outcome) => (outcome, None),
        };
        if outcome == Outcome::Applied {
            let (before, after) = before_after(&action.op);
            self.audit.push(AuditRecord {
                at: jiff::Timestamp::now().to_string(),
                employee_id: worker.employee_id.clone(),
                user_id: self.user_id.clone(),
                action: action.op.kind().to_owned(),
                before,
                after,
                reason: action.reason.clone(),
                request_id: request_id.clone(),
            });
        }
        self.outcomes.push(ActionOutcome {
            employee_id: worker.employee_id.clone(),
            kind: action.op.kind().to_owned(),
            outcome,
            request_id,
        });
    }
}

fn creates(worker: &WorkerPlan) -> Option<&Action> {
    worker
        .actions
        .first()
        .filter(|a| matches!(a.op, Op::CreateUser { .. }))
}

/// Creates the worker's account, unless an earlier run that was cut off already did.
async fn create<W: DirectoryWriter>(worker: &WorkerPlan, writer: &W) -> WorkerRun {
    let mut run = WorkerRun::default();
    let Some(action) = creates(worker) else {
        return run;
    };
    let result = match writer.find_user(&worker.employee_id).await {
        Ok(Some(id)) => {
            // Made by an interrupted run: finish the job with it rather than make a second.
            run.user_id = Some(id);
            run.outcomes.push(ActionOutcome {
                employee_id: worker.employee_id.clone(),
                kind: action.op.kind().to_owned(),
                outcome: Outcome::Applied,
                request_id: None,
            });
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
    run.record(worker, action, result.map_err(failed));
    run
}

/// Every action but the create, in plan order.
async fn rest<W: DirectoryWriter>(
    worker: &WorkerPlan,
    mut run: WorkerRun,
    writer: &W,
    new_ids: &FxHashMap<&str, String>,
) -> WorkerRun {
    let user_id = run.user_id.clone().or_else(|| worker.user_id.clone());
    let upn = worker.user_principal_name.clone().unwrap_or_default();
    let mut mailbox_waits = false;
    let skip_create = usize::from(creates(worker).is_some());
    for action in worker.actions.iter().skip(skip_create) {
        let Some(user_id) = user_id.as_deref().filter(|_| !run.blocked) else {
            let reason = "the account could not be created".to_owned();
            run.record(worker, action, Err(Outcome::Skipped { reason }));
            continue;
        };
        let target = Target {
            employee_id: &worker.employee_id,
            user_id,
            user_principal_name: &upn,
        };
        let result = match &action.op {
            Op::RemoveLicense { .. } if mailbox_waits => Err(Outcome::Deferred {
                reason: "the license stays until the mailbox has been converted".into(),
            }),
            Op::ResetPassword => writer
                .reset_password(target, &new_password())
                .await
                .map(|w| w.request_id)
                .map_err(failed),
            Op::SetManager {
                manager_employee_id,
                manager_user_id: None,
            } => match manager_id(manager_employee_id, writer, new_ids).await {
                Ok(id) => {
                    let op = Op::SetManager {
                        manager_employee_id: manager_employee_id.clone(),
                        manager_user_id: Some(id),
                    };
                    writer
                        .write(target, &op)
                        .await
                        .map(|w| w.request_id)
                        .map_err(failed)
                }
                Err(outcome) => Err(outcome),
            },
            op => writer
                .write(target, op)
                .await
                .map(|w| w.request_id)
                .map_err(failed),
        };
        if is_mailbox(&action.op) && result.is_err() {
            mailbox_waits = true;
        }
        run.record(worker, action, result);
    }
    run
}

async fn manager_id<W: DirectoryWriter>(
    manager_employee_id: &str,
    writer: &W,
    new_ids: &FxHashMap<&str, String>,
) -> Result<String, Outcome> {
    if let Some(id) = new_ids.get(manager_employee_id) {
        return Ok(id.clone());
    }
    match writer.find_user(manager_employee_id).await {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(Outcome::Deferred {
            reason: format!("manager {manager_employee_id} has no account yet"),
        }),
        Err(error) => Err(failed(error)),
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
        other => Outcome::Failed {
            error: other.to_string(),
        },
    }
}
