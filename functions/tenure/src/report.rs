//! The readable forms of a plan (grouped by joiners, movers, leavers and the rest) and of what
//! applying it did.

use std::fmt::Write;

use crate::apply::{ApplyReport, Outcome};
use crate::correlate::MatchOutcome;
use crate::plan::{Action, Change, Op, Plan};

/// Renders a plan as text for people: a summary line, then each group of workers with every
/// action and its reason, then the quarantine and the guard's verdict.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    let s = &plan.summary;
    let _ = writeln!(out, "Tenure plan for {}", plan.today);
    let _ = writeln!(
        out,
        "  {} workers: joiners {}, pre-hires {}, movers {}, leave {}, leavers {}, rehires {}, adopted {}, held {}, unchanged {}; quarantined {}; actions {}",
        s.workers,
        s.joiners,
        s.pre_hires,
        s.movers,
        s.leave,
        s.leavers,
        s.rehires,
        s.adopted,
        s.held,
        s.unchanged,
        s.quarantined,
        s.actions
    );
    for change in Change::ALL {
        let workers: Vec<_> = plan.workers.iter().filter(|w| w.change == change).collect();
        if workers.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({})", change.heading(), workers.len());
        if change == Change::Unchanged {
            let _ = writeln!(
                out,
                "  {} workers already match the directory",
                workers.len()
            );
            continue;
        }
        for worker in workers {
            let upn = worker
                .user_principal_name
                .as_deref()
                .map_or_else(String::new, |u| format!(" <{u}>"));
            let _ = writeln!(
                out,
                "  {} {}{}",
                worker.employee_id, worker.display_name, upn
            );
            for action in &worker.actions {
                let _ = writeln!(out, "    - {}: {}", describe(action), action.reason);
            }
            for note in &worker.notes {
                let _ = writeln!(out, "    note: {note}");
            }
        }
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\nConfiguration warnings ({})", plan.warnings.len());
        for warning in &plan.warnings {
            let _ = writeln!(out, "  - {}", warning.message);
        }
    }
    // The match report, when some worker may already have an account (workers who matched
    // nothing are the joiners above).
    if let Some(matching) = plan
        .matching
        .as_ref()
        .filter(|m| m.workers.iter().any(|w| w.outcome != MatchOutcome::None))
    {
        let _ = writeln!(out);
        out.push_str(&crate::correlate::report_text(matching));
    }
    if !plan.quarantined.is_empty() {
        let _ = writeln!(out, "\nQuarantined ({})", plan.quarantined.len());
        for q in &plan.quarantined {
            let id = q.employee_id.as_deref().unwrap_or("-");
            let _ = writeln!(out, "  {} [{}] {}", q.source, id, q.reason);
        }
    }
    if let Some(guard) = &plan.guard {
        let verdict = if guard.allowed { "allowed" } else { "REFUSED" };
        let _ = writeln!(
            out,
            "\nGuard: {verdict} ({} of {} managed users disabled or stripped; limit {:.0}%)",
            guard.stripped_users,
            guard.managed_users,
            guard.max_share * 100.0
        );
        if let Some(message) = &guard.message {
            let _ = writeln!(out, "  {message}");
        }
    }
    if let Some(plugin) = &plan.plugin {
        let short = plugin.sha256.get(..12).unwrap_or(&plugin.sha256);
        let _ = writeln!(
            out,
            "Plugin: sha256 {short}…, fuel used {}",
            plugin.fuel_consumed
        );
    }
    out
}

/// One line for an action, without its reason.
pub fn describe(action: &Action) -> String {
    match &action.op {
        Op::CreateUser {
            user_principal_name,
            account_enabled,
            ..
        } => format!(
            "create user {user_principal_name} ({})",
            if *account_enabled {
                "enabled"
            } else {
                "disabled"
            }
        ),
        Op::AdoptUser { employee_id } => {
            format!("adopt the existing account (employeeId {employee_id})")
        }
        Op::RestoreUser => "restore the deleted account".into(),
        Op::UpdateUser { changes } => format!(
            "update {}",
            changes
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Op::EnableUser => "enable sign-in".into(),
        Op::DisableUser => "disable sign-in".into(),
        Op::SetManager {
            manager_employee_id,
            ..
        } => format!("set manager to {manager_employee_id}"),
        Op::AddGroupMember { group, .. } => format!("add to group {group:?}"),
        Op::RemoveGroupMember { group, .. } => format!("remove from group {group:?}"),
        Op::AssignLicense { sku, .. } => format!("assign license {sku}"),
        Op::RemoveLicense { sku, .. } => format!("remove license {sku}"),
        Op::RevokeSessions => "revoke sign-in sessions".into(),
        Op::ResetPassword => "scramble the password".into(),
        Op::AddDistributionListMember { group, .. } => {
            format!("add to distribution group {group:?}")
        }
        Op::RemoveDistributionListMember { group, .. } => {
            format!("remove from distribution group {group:?}")
        }
        Op::ConvertToSharedMailbox => "convert mailbox to shared".into(),
        Op::ConvertToUserMailbox => "convert mailbox back to a user mailbox".into(),
        Op::GrantMailboxAccess { trustee } => format!("give {trustee} full access to the mailbox"),
        Op::HideFromAddressList { hidden: true } => "hide from the address list".into(),
        Op::HideFromAddressList { hidden: false } => "show in the address list".into(),
        Op::DeliverFirstDayAccess { to, .. } => format!(
            "mail first-day access to {} {}",
            match to.role {
                crate::plan::RecipientRole::Manager => "manager",
                crate::plan::RecipientRole::PersonalEmail => "the worker's personal address",
            },
            to.name
                .as_deref()
                .map_or_else(|| to.address.clone(), |n| format!("{n} <{}>", to.address))
        ),
    }
}

/// Renders what an apply did: the counts, then every action that was not applied, with why.
pub fn apply_text(report: &ApplyReport) -> String {
    let mut out = String::new();
    let (applied, deferred, failed, skipped) = report.counts();
    let _ = writeln!(
        out,
        "Applied {applied} of {} actions; deferred {deferred}, failed {failed}, skipped {skipped}.",
        report.outcomes.len()
    );
    let mut sections: [(&str, Vec<String>); 3] = [
        ("Deferred (the next sync picks these up)", Vec::new()),
        ("Failed", Vec::new()),
        ("Skipped", Vec::new()),
    ];
    for o in &report.outcomes {
        let (section, why) = match &o.outcome {
            Outcome::Applied => continue,
            Outcome::Deferred { reason } | Outcome::Postponed { reason } => (0, reason),
            Outcome::Failed { error } => (1, error),
            Outcome::Skipped { reason } => (2, reason),
        };
        sections[section]
            .1
            .push(format!("  {} {}: {why}", o.employee_id, o.kind));
    }
    for (heading, lines) in sections {
        if !lines.is_empty() {
            let _ = writeln!(out, "{heading}:");
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}
