//! A plan made while the plugin answers: first the workers the directory does not know by
//! employee id, all together (their accounts are found or named among them all, and a manager
//! may be one of them), then the workers it knows, in batches, from any thread, each batch's
//! answers let go as soon as it is planned. A large plan never holds every answer at once.

use std::collections::BTreeMap;
use std::sync::Mutex;

use rustc_hash::FxHashMap as HashMap;

use super::first_day::FirstDayPlanning;
use super::identity::Chosen;
use super::order::managers_first;
use super::planner::{
    Admission, PlanError, PlanInput, Refused, beside, choose_accounts, match_existing,
    on_two_threads, resolve_managed, restore_deleted,
};
use super::reconcile::{AccountRef, Entry, ManagedGroup, Reconciler, managed_memberships};
use super::{ConfigWarning, Plan, WorkerPlan, reasons};
use crate::correlate::MatchReport;
use crate::desired::{DesiredState, GroupRef};
use crate::directory::{DirectoryIndex, SubscribedSku};
use crate::grouped::Grouped;
use crate::hr::{Quarantined, SourcedWorker};
use crate::today::Today;

/// A plan being made. [`PlanBuilder::new`] plans the workers the directory does not know by
/// employee id; [`PlanBuilder::add`] plans the others, batch by batch, from any thread and in
/// any order; [`PlanBuilder::finish`] puts the plan together, the same plan whatever the
/// batches were.
pub(crate) struct PlanBuilder<'r, 'a> {
    index: &'r DirectoryIndex<'a>,
    workers: &'a [SourcedWorker],
    today: Today,
    groups: Vec<ManagedGroup<'a>>,
    group_slot: HashMap<GroupRef, usize>,
    skus: BTreeMap<String, &'a SubscribedSku>,
    member_of: Grouped<'a, usize>,
    /// The accounts of the workers the index cannot find by employee id.
    accounts: HashMap<&'a str, AccountRef<'a>>,
    first_day: Option<FirstDayPlanning<'a>>,
    /// The records the HR checks set aside.
    set_aside: Vec<Quarantined>,
    /// The workers none of whose identity candidates could be used.
    unnamed: Vec<Quarantined>,
    matching: Option<MatchReport>,
    planned: Mutex<Planned>,
}

/// Every worker planned ([`PlanBuilder::all_planned`]), in no particular order yet.
pub(crate) struct AllPlanned<'a> {
    /// The plan, its workers in any order.
    plan: Plan,
    /// The position of each plan's worker.
    positions: Vec<usize>,
    workers: &'a [SourcedWorker],
}

impl AllPlanned<'_> {
    /// The plan, managers before their reports (and otherwise in the order of the workers).
    pub(crate) fn into_plan(self) -> Plan {
        let mut plan = self.plan;
        managers_first(&mut plan.workers, &self.positions, self.workers);
        plan
    }
}

/// What has been planned so far, each worker with their position in the plan's workers.
#[derive(Debug, Default)]
struct Planned {
    plans: Vec<WorkerPlan>,
    /// The position of each plan's worker.
    positions: Vec<usize>,
    /// By group slot, the workers each mail-enabled group could not take for want of a
    /// mailbox: (position, employee id).
    mailboxless: BTreeMap<usize, Vec<(usize, String)>>,
    refused: Vec<Refused>,
    /// How many answers were taken in.
    answered: usize,
}

impl Planned {
    fn with_capacity(workers: usize) -> Self {
        Self {
            plans: Vec::with_capacity(workers),
            positions: Vec::with_capacity(workers),
            ..Self::default()
        }
    }

    fn join(&mut self, more: Planned) {
        self.plans.extend(more.plans);
        self.positions.extend(more.positions);
        for (slot, employees) in more.mailboxless {
            self.mailboxless.entry(slot).or_default().extend(employees);
        }
        self.refused.extend(more.refused);
        self.answered += more.answered;
    }
}

impl<'r, 'a> PlanBuilder<'r, 'a> {
    /// The positions of the workers the directory does not know by employee id (planned by
    /// [`Self::new`]), and of those it knows (planned by [`Self::add`]).
    pub(crate) fn split(
        workers: &[SourcedWorker],
        index: &DirectoryIndex<'_>,
    ) -> (Vec<usize>, Vec<usize>) {
        (0..workers.len()).partition(|&at| {
            index
                .users_by_employee_id(workers[at].worker.employee_id.as_str())
                .is_empty()
        })
    }

    /// Starts a plan and plans the workers at `first`: those the directory does not know by
    /// employee id, whose answers are `input.desired` (in the same order). `index` must be the
    /// index of `input.directory`.
    pub(crate) fn new(
        input: PlanInput<'a>,
        first: &[usize],
        index: &'r DirectoryIndex<'a>,
    ) -> Result<Self, PlanError> {
        assert!(
            std::ptr::eq(index.snapshot(), input.directory),
            "the index of another directory"
        );
        if input.desired.len() != first.len() {
            return Err(PlanError::AnswerCount {
                expected: first.len(),
                got: input.desired.len(),
            });
        }
        let (groups, group_slot, skus) = resolve_managed(index, input.managed)?;
        let mut builder = Self {
            index,
            workers: input.workers,
            today: input.today,
            member_of: managed_memberships(&groups),
            groups,
            group_slot,
            skus,
            accounts: HashMap::default(),
            first_day: input.first_day,
            set_aside: input.quarantined,
            unnamed: Vec::new(),
            matching: None,
            planned: Mutex::default(),
        };
        let mut desired = input.desired;
        let mut planned = Planned::with_capacity(input.workers.len());
        let mut entries =
            builder
                .admission()
                .admit(builder.workers, first, &mut desired, &mut planned.refused);
        restore_deleted(&mut entries, index);
        builder.matching = match_existing(&mut entries, index, input.matching);
        let (chosen, accounts) = choose_accounts(&mut entries, index, &mut builder.unnamed);
        builder.accounts = accounts;
        reconcile_all(&builder.reconciler(), &mut entries, &chosen, &mut planned);
        planned.answered = first.len();
        builder.planned = Mutex::new(planned);
        Ok(builder)
    }

    /// Plans the workers at `positions`, whose answers are `desired` (in the same order): each
    /// one a worker the directory knows by employee id (of [`Self::split`]'s second list).
    /// The answers are let go when it returns.
    pub(crate) fn add(&self, positions: &[usize], desired: Vec<Result<DesiredState, String>>) {
        assert_eq!(positions.len(), desired.len(), "one answer per worker");
        let mut desired = desired;
        let mut planned = Planned::with_capacity(positions.len());
        let mut entries =
            self.admission()
                .admit(self.workers, positions, &mut desired, &mut planned.refused);
        assert!(
            entries.iter().all(|entry| entry.existing.is_some()),
            "a worker without an account was added after the plan was started"
        );
        let chosen: Vec<Option<Box<Chosen>>> = Vec::new();
        reconcile_all(&self.reconciler(), &mut entries, &chosen, &mut planned);
        planned.answered = positions.len();
        drop(entries);
        drop(desired);
        self.planned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join(planned);
    }

    /// The plan: managers before their reports, quarantined records in file order.
    pub(crate) fn finish(self) -> Result<Plan, PlanError> {
        Ok(self.all_planned()?.into_plan())
    }

    /// Every worker's plan, the warnings and what was set aside, not yet put in order: what
    /// remains no longer borrows the directory's index (which the caller may let go first).
    pub(crate) fn all_planned(self) -> Result<AllPlanned<'a>, PlanError> {
        let Planned {
            plans,
            positions,
            mailboxless,
            mut refused,
            answered,
        } = self.planned.into_inner().unwrap_or_else(|e| e.into_inner());
        if answered != self.workers.len() {
            return Err(PlanError::AnswerCount {
                expected: self.workers.len(),
                got: answered,
            });
        }
        let warnings = mailboxless
            .into_iter()
            .map(|(slot, mut employees)| {
                employees.sort_unstable_by_key(|&(position, _)| position);
                let employee_ids = employees.into_iter().map(|(_, id)| id).collect();
                reasons::mailboxless(self.groups[slot].group, employee_ids)
            })
            .collect::<Vec<ConfigWarning>>();
        refused.sort_unstable_by_key(|&(position, _)| position);
        let mut quarantined = self.set_aside;
        quarantined.extend(refused.into_iter().map(|(_, refusal)| refusal));
        quarantined.extend(self.unnamed);
        quarantined
            .sort_by(|a, b| (&a.source.file, a.source.line).cmp(&(&b.source.file, b.source.line)));
        let mut plan = Plan {
            today: self.today.to_string(),
            summary: Default::default(),
            workers: plans,
            quarantined,
            guard: None,
            plugin: None,
            matching: self.matching,
            warnings,
        };
        plan.summarize();
        Ok(AllPlanned {
            plan,
            positions,
            workers: self.workers,
        })
    }

    fn admission(&self) -> Admission<'_, 'a> {
        Admission {
            index: self.index,
            today: &self.today,
            group_slot: &self.group_slot,
            skus: &self.skus,
        }
    }

    fn reconciler(&self) -> Reconciler<'_, 'a> {
        Reconciler {
            index: self.index,
            groups: &self.groups,
            member_of: &self.member_of,
            group_slot: &self.group_slot,
            skus: &self.skus,
            accounts: &self.accounts,
            first_day: self.first_day,
            now: match self.today {
                Today::Instant(now) => Some(now),
                Today::Date(_) => None,
            },
        }
    }
}

/// Plans each entry into `planned`, with the identity chosen for its new account (`chosen`, in
/// the same order; an empty list when no entry gets one). A large list is reconciled in two
/// halves on two threads (each worker's plan depends only on shared, read-only lookups).
fn reconcile_all(
    reconciler: &Reconciler<'_, '_>,
    entries: &mut [Entry<'_, '_>],
    chosen: &[Option<Box<Chosen>>],
    planned: &mut Planned,
) {
    if !on_two_threads(entries.len()) {
        return reconcile_in_order(reconciler, entries, chosen, planned);
    }
    let half = entries.len() / 2;
    let (first_entries, later_entries) = entries.split_at_mut(half);
    let (first_chosen, later_chosen) = chosen.split_at(half.min(chosen.len()));
    let ((), later) = beside(
        || reconcile_in_order(reconciler, first_entries, first_chosen, planned),
        || {
            let mut later = Planned::with_capacity(later_entries.len());
            reconcile_in_order(reconciler, later_entries, later_chosen, &mut later);
            later
        },
    );
    planned.join(later);
}

/// [`reconcile_all`] on one thread. Each desired account is let go as soon as its worker is
/// planned: large runs stay small.
fn reconcile_in_order(
    reconciler: &Reconciler<'_, '_>,
    entries: &mut [Entry<'_, '_>],
    chosen: &[Option<Box<Chosen>>],
    planned: &mut Planned,
) {
    for (at, entry) in entries.iter_mut().enumerate() {
        let identity = chosen.get(at).and_then(Option::as_deref);
        let (plan, skipped) = reconciler.reconcile(entry, identity);
        entry.desired.account = None;
        for slot in skipped {
            planned
                .mailboxless
                .entry(slot)
                .or_default()
                .push((entry.position, plan.employee_id.clone()));
        }
        planned.plans.push(plan);
        planned.positions.push(entry.position);
    }
}
