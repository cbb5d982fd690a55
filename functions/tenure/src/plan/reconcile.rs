//! One worker's desired state against their directory user: the minimal actions, with reasons.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::action::{Action, Op, ValueChange};
use super::identity::Chosen;
use super::reasons;
use super::{Change, WorkerPlan};
use crate::desired::{Account, DesiredState, GroupRef, MailboxState, Phase, Principal};
use crate::directory::{
    DirectoryGroup, DirectoryIndex, DirectoryUser, MailboxType, SubscribedSku, UserAttribute,
};
use crate::grouped::Grouped;
use crate::hr::SourcedWorker;
use crate::names::Upn;

/// A worker ready to be reconciled: `'a` is what the plan is made from, `'e` the plugin's
/// answers, which may be let go before the plan is finished.
#[derive(Debug)]
pub(super) struct Entry<'e, 'a> {
    /// Where the worker is in the plan's list of workers.
    pub(super) position: usize,
    pub(super) sourced: &'a SourcedWorker,
    /// The plugin's answer, where the caller holds it: an entry stays small and the answers
    /// are not copied.
    pub(super) desired: &'e mut DesiredState,
    pub(super) existing: Option<&'a DirectoryUser>,
    /// Today in the worker's time zone.
    pub(super) today: jiff::civil::Date,
    /// How the worker comes to an account that is not yet theirs.
    pub(super) takeover: Option<Takeover>,
}

/// How a worker without an account of their own comes to one.
#[derive(Debug)]
pub(super) enum Takeover {
    /// `existing` had no `employeeId` and is theirs by a certain match: write it.
    Adopt { reason: String },
    /// `existing` is their deleted account: bring it back.
    Restore,
    /// An account may be theirs and awaits confirmation: nothing is done.
    Hold { note: String },
}

/// A group the configuration manages.
#[derive(Debug)]
pub(super) struct ManagedGroup<'a> {
    pub(super) group: &'a DirectoryGroup,
}

/// For each user in a managed group, the slots (in the managed list) of the groups they are in:
/// one lookup per worker instead of one per worker and group.
pub(super) fn managed_memberships<'a>(groups: &[ManagedGroup<'a>]) -> Grouped<'a, usize> {
    Grouped::new(|| {
        groups.iter().enumerate().flat_map(|(slot, managed)| {
            managed
                .group
                .members
                .iter()
                .map(move |member| (member.as_str(), slot))
        })
    })
}

/// A worker's account as it will be once the plan runs: existing, or about to be created.
#[derive(Debug)]
pub(super) struct AccountRef<'a> {
    user_id: Option<&'a str>,
    /// Borrowed from the directory for an existing account: a plan's 100,000 accounts copy none.
    upn: Cow<'a, str>,
}

impl<'a> AccountRef<'a> {
    pub(super) fn existing(user: &'a DirectoryUser) -> Self {
        Self {
            user_id: Some(&user.id),
            // A deleted account about to be restored gets its old UPN back.
            upn: Cow::Borrowed(user.upn_before_deletion()),
        }
    }

    pub(super) fn planned(upn: &Upn) -> Self {
        Self {
            user_id: None,
            upn: Cow::Owned(upn.to_string()),
        }
    }
}

/// Days after the hire date in which switching an account on counts as the start of a joiner.
const FIRST_DAYS: i32 = 30;

/// What the reconcile of every worker shares.
pub(super) struct Reconciler<'r, 'a> {
    pub(super) index: &'r DirectoryIndex<'a>,
    pub(super) groups: &'r [ManagedGroup<'a>],
    pub(super) member_of: &'r Grouped<'a, usize>,
    pub(super) group_slot: &'r FxHashMap<GroupRef, usize>,
    /// Managed licenses by upper-case part number, in a stable order.
    pub(super) skus: &'r BTreeMap<String, &'a SubscribedSku>,
    pub(super) accounts: &'r FxHashMap<&'a str, AccountRef<'a>>,
    pub(super) first_day: Option<super::FirstDayPlanning<'r>>,
    /// The moment the plan is for, when it is one (not a bare date).
    pub(super) now: Option<jiff::Timestamp>,
}

impl Reconciler<'_, '_> {
    /// Plans one worker. Also gives the managed groups left out because the worker has no
    /// mailbox and none is coming (by slot).
    pub(super) fn reconcile(
        &self,
        entry: &Entry<'_, '_>,
        chosen: Option<&Chosen>,
    ) -> (WorkerPlan, Vec<usize>) {
        let worker = &entry.sourced.worker;
        let desired = &entry.desired;
        let mut plan = WorkerPlan {
            employee_id: worker.employee_id.to_string(),
            display_name: desired
                .account
                .as_ref()
                .map(|a| a.display_name.clone())
                .or_else(|| entry.existing.and_then(|u| u.display_name.clone()))
                .unwrap_or_else(|| reasons::hr_name(worker)),
            change: Change::Unchanged,
            user_id: entry.existing.map(|u| u.id.clone()),
            user_principal_name: entry
                .existing
                .map(|u| u.user_principal_name.clone())
                .or_else(|| chosen.map(|c| c.user_principal_name.clone())),
            actions: Vec::new(),
            notes: Vec::new(),
        };
        let mut skipped = Vec::new();
        if let Some(Takeover::Hold { note }) = &entry.takeover {
            plan.change = Change::Held;
            plan.notes.push(note.clone());
            return (plan, skipped);
        }
        let Some(account) = &desired.account else {
            if desired.phase == Phase::NotYet && entry.existing.is_none() {
                plan.change = Change::PreHire;
                plan.notes.push(reasons::not_yet(worker));
            }
            return (plan, skipped);
        };
        match (entry.existing, chosen) {
            (None, Some(chosen)) => {
                self.create(entry, account, chosen, &mut plan, &mut skipped);
                if let (Some(from), Some(create)) =
                    (chosen.shortened_from.as_deref(), plan.actions.first_mut())
                {
                    create.reason = reasons::shortened(&create.reason, from);
                }
            }
            (Some(user), _) => self.update(entry, account, user, &mut plan, &mut skipped),
            // A leaver who never had an account, or a worker not due yet: nothing to do.
            (None, None) => {}
        }
        match &entry.takeover {
            Some(Takeover::Adopt { reason }) => {
                plan.actions.push(Action {
                    op: Op::AdoptUser {
                        employee_id: worker.employee_id.to_string(),
                    },
                    reason: reason.clone(),
                });
                plan.change = Change::Adopt;
            }
            Some(Takeover::Restore) => {
                // Graph shows a deleted account's UPN with its id in front; restored, it has
                // its own again.
                plan.user_principal_name =
                    entry.existing.map(|u| Upn::from(u.upn_before_deletion()));
                plan.actions.push(Action {
                    op: Op::RestoreUser,
                    reason: reasons::restore(worker),
                });
                if plan.change != Change::PreHire {
                    plan.change = Change::Rehire;
                }
            }
            Some(Takeover::Hold { .. }) | None => {}
        }
        if let Some(first_day) = &self.first_day {
            let candidate = super::first_day::Candidate {
                worker,
                account,
                phase: desired.phase,
                today: entry.today,
                now: self.now,
                manager: account
                    .manager_employee_id
                    .as_deref()
                    .and_then(|m| self.manager_contact(m)),
            };
            first_day.plan(&candidate, &mut plan);
        }
        plan.actions.sort_by_key(|a| a.op.rank());
        (plan, skipped)
    }

    fn create(
        &self,
        entry: &Entry<'_, '_>,
        account: &Account,
        chosen: &Chosen,
        plan: &mut WorkerPlan,
        skipped: &mut Vec<usize>,
    ) {
        let worker = &entry.sourced.worker;
        let attributes: BTreeMap<String, String> = account
            .attributes
            .iter()
            .filter_map(|(attribute, value)| {
                Some((
                    attribute.graph_name().to_owned(),
                    value.as_deref()?.to_owned(),
                ))
            })
            .collect();
        plan.actions.push(Action {
            op: Op::CreateUser {
                user_principal_name: chosen.user_principal_name.clone(),
                mail_nickname: chosen.mail_nickname.clone(),
                display_name: account.display_name.clone(),
                account_enabled: account.enabled,
                attributes,
            },
            reason: reasons::create(worker, entry.desired.phase, account.enabled),
        });
        self.manager(account, None, plan);
        self.licenses(worker, account, None, entry.desired.phase, plan);
        self.memberships(worker, account, None, entry.desired.phase, plan, skipped);
        plan.change = if entry.desired.phase == Phase::PreHire {
            Change::PreHire
        } else {
            Change::Joiner
        };
    }

    fn update(
        &self,
        entry: &Entry<'_, '_>,
        account: &Account,
        user: &DirectoryUser,
        plan: &mut WorkerPlan,
        skipped: &mut Vec<usize>,
    ) {
        let worker = &entry.sourced.worker;
        let phase = entry.desired.phase;
        let (changes, hire_date_changed) = attribute_changes(account, user);
        let mailbox = self.index.mailbox(&user.id);
        let mailbox_shared =
            mailbox.is_some_and(|m| m.recipient_type_details == MailboxType::SharedMailbox);
        let rehire = matches!(phase, Phase::Active | Phase::PreHire)
            && !user.account_enabled
            && (hire_date_changed || mailbox_shared);
        // An account made disabled ahead of the start is switched on in the first days: a joiner,
        // not someone back from leave.
        let first_days = worker.hire_date.is_some_and(|hired| {
            hired <= entry.today
                && entry.today <= hired.saturating_add(jiff::Span::new().days(FIRST_DAYS))
        });
        if !changes.is_empty() {
            plan.actions.push(Action {
                reason: reasons::update(&changes),
                op: Op::UpdateUser { changes },
            });
        }

        let status_changed = if account.enabled && !user.account_enabled {
            plan.actions.push(Action {
                op: Op::EnableUser,
                reason: reasons::enable(worker, rehire, first_days),
            });
            true
        } else if !account.enabled && user.account_enabled {
            disable(account, worker, phase, plan);
            true
        } else {
            false
        };

        self.manager(account, Some(user), plan);
        self.licenses(worker, account, Some(user), phase, plan);
        self.memberships(worker, account, Some(user), phase, plan, skipped);
        if let (Some(mailbox), Some(wanted)) = (mailbox, &account.mailbox) {
            self.mailbox(account, mailbox, wanted, phase, plan);
        }

        plan.change = match phase {
            _ if plan.actions.is_empty() => Change::Unchanged,
            Phase::Terminated => Change::Leaver,
            _ if rehire => Change::Rehire,
            Phase::Active if status_changed && first_days => Change::Joiner,
            Phase::OnLeave if status_changed => Change::Leave,
            Phase::Active if status_changed => Change::Leave,
            Phase::PreHire | Phase::NotYet => Change::PreHire,
            _ => Change::Mover,
        };
    }

    fn manager(&self, account: &Account, user: Option<&DirectoryUser>, plan: &mut WorkerPlan) {
        let Some(manager_id) = &account.manager_employee_id else {
            return;
        };
        let Some(manager) = self.resolve_employee(manager_id) else {
            plan.notes.push(format!(
                "manager {manager_id} has no account yet and none is planned; the manager is set once it has one"
            ));
            return;
        };
        let current = user.and_then(|u| u.manager.as_ref()).map(|m| m.id.as_str());
        if manager.user_id.is_some() && current == manager.user_id {
            return;
        }
        plan.actions.push(Action {
            op: Op::SetManager {
                manager_employee_id: manager_id.clone(),
                manager_user_id: manager.user_id.map(str::to_owned),
            },
            reason: reasons::manager(manager_id, current.is_some()),
        });
    }

    fn licenses(
        &self,
        worker: &crate::worker::Worker,
        account: &Account,
        user: Option<&DirectoryUser>,
        phase: Phase,
        plan: &mut WorkerPlan,
    ) {
        let wanted: Vec<&SubscribedSku> = account
            .licenses
            .iter()
            .filter_map(|l| self.skus.get(&l.to_uppercase()).copied())
            .collect();
        let has = |sku_id: &str| {
            user.is_some_and(|u| u.assigned_licenses.iter().any(|l| l.sku_id == sku_id))
        };
        for sku in &wanted {
            if !has(&sku.sku_id) {
                plan.actions.push(Action {
                    op: Op::AssignLicense {
                        sku_id: sku.sku_id.clone(),
                        sku: sku.sku_part_number.clone(),
                    },
                    reason: reasons::grant(worker, "license"),
                });
            }
        }
        let Some(user) = user else { return };
        for managed in self.skus.values() {
            let still_wanted = wanted.iter().any(|w| w.sku_id == managed.sku_id);
            if !still_wanted && has(&managed.sku_id) {
                plan.actions.push(Action {
                    op: Op::RemoveLicense {
                        sku_id: managed.sku_id.clone(),
                        sku: managed.sku_part_number.clone(),
                    },
                    reason: if phase == Phase::Terminated {
                        reasons::leaver_removal("license")
                    } else {
                        reasons::take_away(worker, user, "license")
                    },
                });
            }
        }
    }

    fn memberships(
        &self,
        worker: &crate::worker::Worker,
        account: &Account,
        user: Option<&DirectoryUser>,
        phase: Phase,
        plan: &mut WorkerPlan,
        skipped: &mut Vec<usize>,
    ) {
        let wanted: Vec<usize> = account
            .groups
            .iter()
            .filter_map(|g| self.group_slot.get(g).copied())
            .collect();
        let current: &[usize] = user.map_or(&[], |u| self.member_of.get(u.id.as_str()));
        for (slot, managed) in self.groups.iter().enumerate() {
            let group = managed.group;
            let is_member = current.contains(&slot);
            let wants = wanted.contains(&slot);
            if wants == is_member {
                continue;
            }
            let exchange = group.kind().is_exchange_managed();
            if wants && exchange && !self.mailbox_coming(account, user) {
                // Exchange cannot add someone without a mailbox, and none is coming: said once
                // for the plan as a configuration warning, rather than deferred forever.
                skipped.push(slot);
                continue;
            }
            let (id, name, mail) = (
                group.id.clone(),
                group.display_name.clone(),
                group.mail.clone(),
            );
            let op = match (wants, is_member, exchange) {
                (true, false, false) => Op::AddGroupMember {
                    group_id: id,
                    group: name,
                },
                (true, false, true) => Op::AddDistributionListMember {
                    group_id: id,
                    group: name,
                    group_mail: mail,
                },
                (false, true, false) => Op::RemoveGroupMember {
                    group_id: id,
                    group: name,
                },
                (false, true, true) => Op::RemoveDistributionListMember {
                    group_id: id,
                    group: name,
                    group_mail: mail,
                },
                _ => continue,
            };
            let what = group.kind().describe();
            let reason = if wants {
                reasons::grant(worker, what)
            } else if phase == Phase::Terminated {
                reasons::leaver_removal(what)
            } else {
                // `is_member` implies a user exists.
                user.map_or_else(String::new, |u| reasons::take_away(worker, u, what))
            };
            plan.actions.push(Action { op, reason });
        }
    }

    fn mailbox(
        &self,
        account: &Account,
        mailbox: &crate::directory::Mailbox,
        wanted: &MailboxState,
        phase: Phase,
        plan: &mut WorkerPlan,
    ) {
        let shared = mailbox.recipient_type_details == MailboxType::SharedMailbox;
        if wanted.shared && !shared {
            plan.actions.push(Action {
                op: Op::ConvertToSharedMailbox,
                reason: reasons::leaver_mailbox(phase, "the mailbox becomes a shared mailbox, so its mail stays reachable without a license"),
            });
        } else if !wanted.shared && shared {
            plan.actions.push(Action {
                op: Op::ConvertToUserMailbox,
                reason: "back at work: the shared mailbox becomes the worker's own mailbox again"
                    .into(),
            });
        }
        if wanted.hidden_from_address_lists != mailbox.hidden_from_address_lists_enabled {
            let reason = if wanted.hidden_from_address_lists {
                reasons::leaver_mailbox(phase, "hidden from the address list")
            } else {
                "back at work: shown in the address list again".into()
            };
            plan.actions.push(Action {
                op: Op::HideFromAddressList {
                    hidden: wanted.hidden_from_address_lists,
                },
                reason,
            });
        }
        for principal in &wanted.full_access {
            let trustee = match principal {
                Principal::Manager => account
                    .manager_employee_id
                    .as_deref()
                    .and_then(|m| self.resolve_employee(m))
                    .map(|a| Upn::from(&*a.upn)),
                Principal::Employee(id) => self.resolve_employee(id).map(|a| Upn::from(&*a.upn)),
                Principal::User(upn) => {
                    let upn = Upn::from(upn.as_str());
                    self.index.upn_taken(&upn).then_some(upn)
                }
            };
            let Some(trustee) = trustee else {
                plan.notes.push(reasons::unresolved_principal(principal));
                continue;
            };
            if mailbox
                .full_access
                .iter()
                .any(|holder| trustee == holder.as_str())
            {
                continue;
            }
            plan.actions.push(Action {
                reason: reasons::full_access(principal, &trustee),
                op: Op::GrantMailboxAccess {
                    trustee: trustee.into(),
                },
            });
        }
    }

    /// Whether the worker has a mailbox, or will once the licenses they hold or the plan gives
    /// are processed.
    fn mailbox_coming(&self, account: &Account, user: Option<&DirectoryUser>) -> bool {
        let planned: Vec<&SubscribedSku> = account
            .licenses
            .iter()
            .filter_map(|l| self.skus.get(&l.to_uppercase()).copied())
            .collect();
        self.index.mailbox_coming(user, &planned)
    }

    /// A manager's name and mail address: from the directory, else the account this plan
    /// makes for them.
    fn manager_contact(&self, employee_id: &str) -> super::first_day::ManagerContact {
        super::first_day::manager_contact(self.index, employee_id).or_else(|| {
            self.accounts
                .get(employee_id)
                .map(|a| (None, a.upn.to_string()))
        })
    }

    /// A worker's account by employee id: one of this run's, or any directory user carrying it.
    fn resolve_employee(&self, employee_id: &str) -> Option<AccountRef<'_>> {
        if let Some(account) = self.accounts.get(employee_id) {
            return Some(AccountRef {
                user_id: account.user_id,
                upn: account.upn.clone(),
            });
        }
        match self.index.users_by_employee_id(employee_id) {
            [one] => Some(AccountRef {
                user_id: Some(&one.id),
                upn: Cow::Borrowed(one.user_principal_name.as_str()),
            }),
            _ => None,
        }
    }
}

/// The attributes (display name included) that differ between what the account should be and
/// what it is, and whether a hire date already set has changed (a sign of a rehire).
fn attribute_changes(
    account: &Account,
    user: &DirectoryUser,
) -> (BTreeMap<String, ValueChange>, bool) {
    let mut changes = BTreeMap::new();
    if user.display_name.as_deref() != Some(account.display_name.as_str()) {
        changes.insert(
            "displayName".to_owned(),
            ValueChange {
                from: user.display_name.clone(),
                to: Some(account.display_name.clone()),
            },
        );
    }
    let mut hire_date_changed = false;
    for (attribute, wanted) in &account.attributes {
        let attribute = *attribute;
        let current = attribute.get(user);
        if !attribute.same_value(current, wanted.as_deref()) {
            hire_date_changed |= attribute == UserAttribute::EmployeeHireDate && current.is_some();
            changes.insert(
                attribute.graph_name().to_owned(),
                ValueChange {
                    from: current.map(str::to_owned),
                    to: wanted.as_deref().map(str::to_owned),
                },
            );
        }
    }
    (changes, hire_date_changed)
}

/// Blocks sign-in and does what the policy says is done once as an account is disabled.
fn disable(account: &Account, worker: &crate::worker::Worker, phase: Phase, plan: &mut WorkerPlan) {
    plan.actions.push(Action {
        op: Op::DisableUser,
        reason: reasons::disable(worker, phase),
    });
    if account.on_disable.revoke_sessions {
        plan.actions.push(Action {
            op: Op::RevokeSessions,
            reason: reasons::once_on_disable(phase, "sign-in sessions are revoked"),
        });
    }
    if account.on_disable.scramble_password {
        plan.actions.push(Action {
            op: Op::ResetPassword,
            reason: reasons::once_on_disable(
                phase,
                "the password is replaced by a random one nobody knows",
            ),
        });
    }
}
