//! The words of a plan: every action says which HR fact or policy puts it there.

use std::collections::BTreeMap;

use super::ConfigWarning;
use super::action::ValueChange;
use crate::correlate::WorkerMatch;
use crate::desired::{Phase, Principal};
use crate::directory::{DirectoryGroup, DirectoryUser, UserAttribute};
use crate::worker::{EmploymentStatus, Worker};

/// The HR facts rules usually look at, for "why this group" reasons.
fn facts(worker: &Worker) -> String {
    let parts: Vec<String> = [
        ("department", &worker.department),
        ("location", &worker.location),
        ("employment type", &worker.employment_type),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some(format!("{name} {}", value.as_deref()?)))
    .collect();
    if parts.is_empty() {
        "the HR record".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The worker's name as HR gives it, for plans of workers without an account.
pub(super) fn hr_name(worker: &Worker) -> String {
    let first = worker
        .preferred_name
        .as_deref()
        .or(worker.first_name.as_deref());
    let name: Vec<&str> = [first, worker.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if name.is_empty() {
        worker.employee_id.to_string()
    } else {
        name.join(" ")
    }
}

pub(super) fn not_yet(worker: &Worker) -> String {
    match worker.hire_date {
        Some(date) => {
            format!("starts on {date}: the account is created when the pre-hire window opens")
        }
        None => "not due yet: the mapping plugin asks for no account now".to_owned(),
    }
}

pub(super) fn create(worker: &Worker, phase: Phase, enabled: bool) -> String {
    let start = worker
        .hire_date
        .map_or_else(String::new, |d| format!(" starting {d}"));
    match (phase, enabled) {
        (Phase::PreHire, _) => format!("pre-hire{start}: created disabled ahead of the first day"),
        (Phase::OnLeave, false) => {
            format!("new hire{start}, on leave: created with sign-in blocked")
        }
        _ => format!("new hire{start} with no account yet"),
    }
}

pub(super) fn update(changes: &BTreeMap<String, ValueChange>) -> String {
    let shown: Vec<String> = changes
        .iter()
        .map(|(name, change)| {
            let show = |v: &Option<String>| {
                v.as_deref()
                    .map_or("(empty)".to_owned(), |v| format!("{v:?}"))
            };
            format!("{name} {} → {}", show(&change.from), show(&change.to))
        })
        .collect();
    format!("HR data differs from the directory: {}", shown.join("; "))
}

pub(super) fn enable(worker: &Worker, rehire: bool, first_days: bool) -> String {
    let start = worker
        .hire_date
        .map_or_else(String::new, |d| format!(" on {d}"));
    if first_days && !rehire {
        format!("started{start}: the account made ahead of the first day is switched on")
    } else if rehire {
        format!("rehired{start}: the same account comes back")
    } else if worker.employment_status == EmploymentStatus::Leave {
        "on a leave that keeps sign-in: sign-in allowed".to_owned()
    } else {
        "active again in HR: sign-in allowed".to_owned()
    }
}

pub(super) fn disable(worker: &Worker, phase: Phase) -> String {
    match phase {
        Phase::Terminated => match worker.termination_date {
            Some(date) => format!("terminated: the last day, {date}, has ended"),
            None => "terminated in HR".to_owned(),
        },
        Phase::OnLeave => format!(
            "on {} leave: the leave policy blocks sign-in",
            worker.leave_type.as_deref().unwrap_or("unspecified")
        ),
        Phase::PreHire | Phase::NotYet => match worker.hire_date {
            Some(date) => format!("starts on {date}: sign-in stays blocked until then"),
            None => "not started yet: sign-in stays blocked".to_owned(),
        },
        Phase::Active => "the mapping plugin asks for sign-in to be blocked".to_owned(),
    }
}

pub(super) fn once_on_disable(phase: Phase, what: &str) -> String {
    let who = if phase == Phase::Terminated {
        "leaver"
    } else {
        "leave"
    };
    format!("{who} policy: {what}, once, as the account is disabled")
}

pub(super) fn manager(manager_id: &str, had_one: bool) -> String {
    if had_one {
        format!("manager in HR is now {manager_id}")
    } else {
        format!("manager in HR is {manager_id}")
    }
}

pub(super) fn grant(worker: &Worker, what: &str) -> String {
    format!("the rules give this {what} for {}", facts(worker))
}

pub(super) fn take_away(worker: &Worker, user: &DirectoryUser, what: &str) -> String {
    let was = |attribute: UserAttribute, now: &Option<crate::SharedStr>| -> Option<String> {
        let before = attribute.get(user)?;
        let now = now.as_deref()?;
        (before != now).then(|| format!("{} {before} → {now}", attribute.graph_name()))
    };
    let moved: Vec<String> = [
        was(UserAttribute::Department, &worker.department),
        was(UserAttribute::JobTitle, &worker.job_title),
        was(UserAttribute::OfficeLocation, &worker.location),
        was(UserAttribute::UsageLocation, &worker.country),
        was(UserAttribute::EmployeeType, &worker.employment_type),
    ]
    .into_iter()
    .flatten()
    .collect();
    if moved.is_empty() {
        format!("the rules no longer give this {what} for {}", facts(worker))
    } else {
        format!(
            "the rules no longer give this {what} after {}",
            moved.join(", ")
        )
    }
}

pub(super) fn leaver_removal(what: &str) -> String {
    format!("leaver policy: the rule-given {what} is removed")
}

pub(super) fn leaver_mailbox(phase: Phase, what: &str) -> String {
    if phase == Phase::Terminated {
        format!("leaver policy: {what}")
    } else {
        format!("mailbox policy: {what}")
    }
}

pub(super) fn full_access(principal: &Principal, trustee: &str) -> String {
    match principal {
        Principal::Manager => {
            format!("leaver policy: the manager ({trustee}) gets full access to the mailbox")
        }
        _ => format!("leaver policy: {trustee} gets full access to the mailbox"),
    }
}

pub(super) fn unresolved_principal(principal: &Principal) -> String {
    match principal {
        Principal::Manager => {
            "full access for the manager left out: the worker has no manager with an account".into()
        }
        Principal::Employee(id) => {
            format!("full access for employee {id} left out: no account carries that employee id")
        }
        Principal::User(upn) => {
            format!("full access for {upn} left out: no such user in the directory")
        }
    }
}

pub(super) fn adopt(found: &WorkerMatch) -> String {
    let evidence = found
        .candidates
        .first()
        .map(|c| format!(" by {}: {}", c.rule, c.evidence.join("; ")))
        .unwrap_or_default();
    format!(
        "the account existed without an employeeId and matches the worker{evidence}; certain matches are adopted without review (matching.auto_confirm)"
    )
}

pub(super) fn restore(worker: &Worker) -> String {
    format!(
        "employee {}'s account was deleted and can still be restored: it comes back rather than a second account",
        worker.employee_id
    )
}

/// The warning for a group the rules give to workers who have no mailbox and none coming.
pub(super) fn mailboxless(group: &DirectoryGroup, employee_ids: Vec<String>) -> ConfigWarning {
    let name = group.mail.as_deref().unwrap_or(&group.display_name);
    let shown: Vec<&str> = employee_ids.iter().take(10).map(String::as_str).collect();
    let more = employee_ids.len().saturating_sub(shown.len());
    ConfigWarning {
        message: format!(
            "the rules give the {} {name:?} to {} worker{} without a mailbox, and no license with Exchange Online is planned for them ({}{}): the membership is not made until they have one",
            group.kind().describe(),
            employee_ids.len(),
            if employee_ids.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
        ),
        group_id: Some(group.id.clone()),
        rules: Vec::new(),
        employee_ids,
    }
}

pub(super) fn shortened(reason: &str, from: &str) -> String {
    format!(
        "{reason}; the name is longer than the {} characters Microsoft allows before the @ ({from}), so it is shortened",
        super::identity::MAX_LOCAL_PART
    )
}
