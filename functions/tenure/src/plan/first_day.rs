//! First-day access in a plan: on the worker's start day (in their zone), or when the plan
//! creates or switches on their account in the first days after it, one
//! [`Op::DeliverFirstDayAccess`] per start, unless that start's access was already delivered.

use jiff::Timestamp;
use jiff::civil::Date;

use super::action::{AccessRecipient, Action, Op, RecipientRole};
use super::{Change, WorkerPlan};
use crate::desired::{Account, Phase};
use crate::directory::DirectoryIndex;
use crate::notify::{DeliverTo, Delivered, FirstDayAccess};
use crate::worker::Worker;

/// Days after the start in which an account created or switched on late still gets its access.
const LATE_DAYS: i32 = 30;

/// What planning first-day access needs.
#[derive(Debug, Clone, Copy)]
pub struct FirstDayPlanning<'a> {
    /// How access is made and to whom it goes.
    pub access: &'a FirstDayAccess,
    /// The starts already delivered.
    pub delivered: &'a Delivered,
}

/// The manager as the mail names them: (name, address).
pub(super) type ManagerContact = Option<(Option<String>, String)>;

/// What one worker's first-day access is planned from.
pub(super) struct Candidate<'w> {
    pub(super) worker: &'w Worker,
    pub(super) account: &'w Account,
    pub(super) phase: Phase,
    /// Today in the worker's zone.
    pub(super) today: Date,
    /// The moment the plan is for, when it is one (not a bare date).
    pub(super) now: Option<Timestamp>,
    pub(super) manager: ManagerContact,
}

impl FirstDayPlanning<'_> {
    /// Adds the worker's first-day access to their plan when it is due.
    pub(super) fn plan(&self, candidate: &Candidate<'_>, plan: &mut WorkerPlan) {
        let Candidate {
            worker,
            account,
            phase,
            today,
            ..
        } = candidate;
        let Some(start) = worker.hire_date else {
            return;
        };
        if *phase != Phase::Active || !account.enabled || start > *today {
            return;
        }
        let switched_on = plan.actions.iter().any(|a| match &a.op {
            Op::CreateUser {
                account_enabled, ..
            } => *account_enabled,
            Op::EnableUser | Op::RestoreUser => true,
            _ => false,
        });
        let late = (*today - start).get_days() <= LATE_DAYS;
        if !(start == *today || switched_on && late) {
            return;
        }
        if self.delivered.contains(worker.employee_id.as_str(), start) {
            return;
        }
        let Some(to) = self.recipient(candidate) else {
            plan.notes.push(
                "first-day access: no manager with a mail address and no personal_email to send it to"
                    .into(),
            );
            return;
        };
        let zone = worker
            .time_zone
            .as_ref()
            .map_or(jiff::tz::TimeZone::UTC, crate::worker::TimeZoneName::zone);
        let opens = zone
            .to_timestamp(start.to_datetime(self.access.usable_from))
            .ok();
        let usable_from = match (opens, candidate.now) {
            (Some(opens), Some(now)) => opens.max(now),
            (Some(opens), None) => opens,
            (None, now) => now.unwrap_or_default(),
        };
        let who = match to.role {
            RecipientRole::Manager => "manager",
            RecipientRole::PersonalEmail => "the worker's personal address",
        };
        let name = to
            .name
            .as_deref()
            .map_or_else(|| to.address.clone(), |n| format!("{n} <{}>", to.address));
        plan.actions.push(Action {
            reason: format!(
                "first day ({start}): a Temporary Access Pass (a first password where the cloud or the connection's permissions give none) is mailed to {who} {name}"
            ),
            op: Op::DeliverFirstDayAccess {
                start_date: start,
                worker: account.display_name.clone(),
                to,
                usable_from,
            },
        });
        if plan.change == Change::Unchanged {
            // Only the access is left to do: the worker starts today.
            plan.change = Change::Joiner;
        }
    }

    /// Who gets the access: as configured, else the other choice.
    fn recipient(&self, candidate: &Candidate<'_>) -> Option<AccessRecipient> {
        let manager = candidate
            .manager
            .clone()
            .map(|(name, address)| AccessRecipient {
                role: RecipientRole::Manager,
                name,
                address,
            });
        let personal = candidate
            .worker
            .personal_email
            .clone()
            .map(|address| AccessRecipient {
                role: RecipientRole::PersonalEmail,
                name: Some(candidate.account.display_name.clone()),
                address,
            });
        match self.access.deliver_to {
            DeliverTo::Manager => manager.or(personal),
            DeliverTo::PersonalEmail => personal.or(manager),
        }
    }
}

/// A manager's name and mail address from the directory (their `mail`, else their UPN).
pub(super) fn manager_contact(index: &DirectoryIndex<'_>, employee_id: &str) -> ManagerContact {
    match index.users_by_employee_id(employee_id) {
        [one] => Some((
            one.display_name.clone(),
            one.mail
                .as_deref()
                .unwrap_or(&one.user_principal_name)
                .to_owned(),
        )),
        _ => None,
    }
}
