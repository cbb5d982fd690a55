//! Confirming a reviewed match report: the pairs marked `adopt` become a plan that writes each
//! worker's `employeeId` on its account, after checking every pair against HR and the
//! directory as they are now.

use rustc_hash::FxHashSet as HashSet;

use crate::directory::{DirectoryUser, Snapshot};
use crate::hr::SourcedWorker;
use crate::plan::{Action, Change, Op, Plan, WorkerPlan};
use crate::today::Today;

/// Pairs of a reviewed report that cannot be adopted; nothing is adopted then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the reviewed match report cannot be confirmed:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfirmError {
    /// One line per pair at fault.
    pub problems: Vec<String>,
}

/// What confirming gives: the plan of adoptions, and the pairs already in place.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    /// One worker per adoption, each with one [`Op::AdoptUser`].
    pub plan: Plan,
    /// Pairs adopted already (a report confirmed twice), in words.
    pub already: Vec<String>,
}

/// Checks the confirmed pairs (employee id, account by object id or UPN) against the HR
/// records and the directory, and plans the adoptions. Every pair must name a worker of the
/// HR file without an account and an account without an `employeeId`; a worker or an account
/// may appear in one pair only.
pub fn confirm(
    pairs: &[(String, String)],
    workers: &[SourcedWorker],
    directory: &Snapshot,
    today: Today,
) -> Result<Confirmation, ConfirmError> {
    let mut problems = Vec::new();
    let mut already = Vec::new();
    let mut seen_workers = HashSet::default();
    let mut seen_accounts = HashSet::default();
    let mut plans = Vec::new();
    for (employee_id, account) in pairs {
        let (employee_id, account) = (employee_id.trim(), account.trim());
        if !seen_workers.insert(employee_id.to_owned()) {
            problems.push(format!(
                "worker {employee_id} is marked adopt for more than one account"
            ));
            continue;
        }
        let Some(worker) = workers
            .iter()
            .find(|w| w.worker.employee_id.as_str() == employee_id)
        else {
            problems.push(format!(
                "worker {employee_id} is not in the HR file (or was quarantined)"
            ));
            continue;
        };
        let Some(user) = find_account(directory, account) else {
            problems.push(format!(
                "worker {employee_id}: no account {account} exists in the tenant"
            ));
            continue;
        };
        if !seen_accounts.insert(user.id.clone()) {
            problems.push(format!(
                "account {} is marked adopt for more than one worker",
                user.user_principal_name
            ));
            continue;
        }
        match user.employee_id.as_deref() {
            Some(id) if id == employee_id => {
                already.push(format!(
                    "worker {employee_id} already has {}",
                    user.user_principal_name
                ));
                continue;
            }
            Some(other) => {
                problems.push(format!(
                    "worker {employee_id}: account {} belongs to employee {other} already",
                    user.user_principal_name
                ));
                continue;
            }
            None => {}
        }
        if let Some(own) = directory
            .users
            .iter()
            .find(|u| u.employee_id.as_deref() == Some(employee_id))
        {
            problems.push(format!(
                "worker {employee_id} has an account already ({}); {} is left as it is",
                own.user_principal_name, user.user_principal_name
            ));
            continue;
        }
        plans.push(adoption(
            worker,
            user,
            "the match was confirmed on review".into(),
        ));
    }
    if !problems.is_empty() {
        return Err(ConfirmError { problems });
    }
    let mut plan = Plan {
        today: today.to_string(),
        summary: Default::default(),
        workers: plans,
        quarantined: Vec::new(),
        guard: None,
        plugin: None,
        matching: None,
        warnings: Vec::new(),
    };
    plan.summarize();
    Ok(Confirmation { plan, already })
}

fn find_account<'a>(directory: &'a Snapshot, key: &str) -> Option<&'a DirectoryUser> {
    directory
        .users
        .iter()
        .find(|u| u.id.eq_ignore_ascii_case(key) || u.user_principal_name == key)
}

/// A worker's plan to adopt an account and nothing else.
fn adoption(worker: &SourcedWorker, user: &DirectoryUser, reason: String) -> WorkerPlan {
    let employee_id = worker.worker.employee_id.to_string();
    WorkerPlan {
        display_name: user
            .display_name
            .clone()
            .unwrap_or_else(|| user.user_principal_name.to_string()),
        change: Change::Adopt,
        user_id: Some(user.id.clone()),
        user_principal_name: Some(user.user_principal_name.clone()),
        actions: vec![Action {
            op: Op::AdoptUser {
                employee_id: employee_id.clone(),
            },
            reason,
        }],
        notes: Vec::new(),
        employee_id,
    }
}
