//! The planner's outer loop: check what the plugin said, choose identities, reconcile, order.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use super::Plan;
use super::builder::PlanBuilder;
use super::identity::{Chosen, allocate_identities};
use super::reasons;
use super::reconcile::Takeover;
use super::reconcile::{AccountRef, Entry, ManagedGroup};
use crate::correlate::{
    MatchOutcome, MatchReport, MatchingConfig, Seeking, WorkerMatch, correlate,
};
use crate::desired::{Account, DesiredState, GroupRef, Managed, Phase};
use crate::directory::{DirectoryIndex, DirectoryUser, Snapshot, SubscribedSku, UserAttribute};
use crate::hr::{Quarantined, SourcedWorker};
use crate::names::Upn;
use crate::today::Today;

/// Everything a plan is a function of.
#[derive(Debug)]
pub struct PlanInput<'a> {
    /// The moment the plan is for.
    pub today: Today,
    /// The workers that passed the HR checks.
    pub workers: &'a [SourcedWorker],
    /// The plugin's answer for each worker, in the same order; `Err` holds why it failed.
    pub desired: Vec<Result<DesiredState, String>>,
    /// Records the HR checks set aside.
    pub quarantined: Vec<Quarantined>,
    /// What the plugin's configuration manages.
    pub managed: &'a Managed,
    /// The directory as it is.
    pub directory: &'a Snapshot,
    /// How workers without an account are matched to existing accounts.
    pub matching: &'a MatchingConfig,
    /// First-day access, when the connection mails it.
    pub first_day: Option<super::FirstDayPlanning<'a>>,
}

/// A plan that cannot be made at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The configuration names groups or licenses the tenant does not have.
    #[error(
        "the mapping configuration names what the tenant does not have:\n{}",
        bullet(problems)
    )]
    UnknownManaged {
        /// One line per missing group or license.
        problems: Vec<String>,
    },
    /// The plugin answered for a different number of workers than it was given.
    #[error("the plugin returned {got} answers for {expected} workers")]
    AnswerCount {
        /// Workers given.
        expected: usize,
        /// Answers received.
        got: usize,
    },
}

fn bullet(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("  - {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Makes the plan. Pure: same input, same plan.
///
/// The steps: admit each worker the plugin answered for usefully, find the accounts of those
/// without one (deleted, then matched), choose identities for new accounts, reconcile each
/// worker against the directory, and put managers before their reports.
pub fn build_plan(input: PlanInput<'_>) -> Result<Plan, PlanError> {
    let index = DirectoryIndex::new(input.directory);
    build_plan_indexed(input, &index)
}

/// [`build_plan`] with the directory's index already made (a caller may make it while the
/// plugin maps). `index` must be the index of `input.directory`.
pub fn build_plan_indexed<'a>(
    mut input: PlanInput<'a>,
    index: &DirectoryIndex<'a>,
) -> Result<Plan, PlanError> {
    if input.desired.len() != input.workers.len() {
        return Err(PlanError::AnswerCount {
            expected: input.workers.len(),
            got: input.desired.len(),
        });
    }
    let (first, later) = PlanBuilder::split(input.workers, index);
    let mut first_answers = Vec::with_capacity(first.len());
    let mut later_answers = Vec::with_capacity(later.len());
    let mut next_first = first.iter().peekable();
    for (at, answer) in std::mem::take(&mut input.desired).into_iter().enumerate() {
        if next_first.next_if_eq(&&at).is_some() {
            first_answers.push(answer);
        } else {
            later_answers.push(answer);
        }
    }
    let builder = PlanBuilder::new(
        PlanInput {
            desired: first_answers,
            ..input
        },
        &first,
        index,
    )?;
    builder.add(&later, later_answers);
    builder.finish()
}

/// What deciding whether a worker can be planned at all needs.
pub(super) struct Admission<'r, 'a> {
    pub(super) index: &'r DirectoryIndex<'a>,
    pub(super) today: &'r Today,
    pub(super) group_slot: &'r HashMap<GroupRef, usize>,
    pub(super) skus: &'r BTreeMap<String, &'a SubscribedSku>,
}

/// A worker who cannot be planned, with their position among the plan's workers.
pub(super) type Refused = (usize, Quarantined);

impl<'a> Admission<'_, 'a> {
    /// The workers at `positions` that can be planned, each beside its desired state (in
    /// `desired`, in the same order) and account; the others are added to `refused` with the
    /// reason. A large plan is admitted on two threads, a half each, the halves joined in order.
    pub(super) fn admit<'e>(
        &self,
        workers: &'a [SourcedWorker],
        positions: &[usize],
        desired: &'e mut [Result<DesiredState, String>],
        refused: &mut Vec<Refused>,
    ) -> Vec<Entry<'e, 'a>> {
        if !on_two_threads(positions.len()) {
            return self.admit_in_order(workers, positions, desired, refused);
        }
        let (first_positions, later_positions) = positions.split_at(positions.len() / 2);
        let (first_desired, later_desired) = desired.split_at_mut(first_positions.len());
        let (mut entries, (later, later_refused)) = beside(
            || self.admit_in_order(workers, first_positions, first_desired, refused),
            || {
                let mut later_refused = Vec::new();
                let later = self.admit_in_order(
                    workers,
                    later_positions,
                    later_desired,
                    &mut later_refused,
                );
                (later, later_refused)
            },
        );
        entries.extend(later);
        refused.extend(later_refused);
        entries
    }

    /// [`Self::admit`] on one thread.
    fn admit_in_order<'e>(
        &self,
        workers: &'a [SourcedWorker],
        positions: &[usize],
        desired: &'e mut [Result<DesiredState, String>],
        refused: &mut Vec<Refused>,
    ) -> Vec<Entry<'e, 'a>> {
        let mut entries = Vec::with_capacity(positions.len());
        for (&position, desired) in positions.iter().zip(desired) {
            let sourced = &workers[position];
            match self.entry(position, sourced, desired) {
                Ok(entry) => entries.push(entry),
                Err(reason) => refused.push((
                    position,
                    Quarantined {
                        employee_id: Some(sourced.worker.employee_id.to_string()),
                        source: sourced.source.clone(),
                        reason,
                    },
                )),
            }
        }
        entries
    }

    /// One worker's entry, or why it cannot be planned: the plugin refused it, its
    /// `employeeId` is on several accounts, or the plugin's answer names what cannot be.
    fn entry<'e>(
        &self,
        position: usize,
        sourced: &'a SourcedWorker,
        desired: &'e mut Result<DesiredState, String>,
    ) -> Result<Entry<'e, 'a>, String> {
        let desired = desired
            .as_mut()
            .map_err(|message| format!("the mapping plugin refused this worker: {message}"))?;
        let existing = match self
            .index
            .users_by_employee_id(sourced.worker.employee_id.as_str())
        {
            [] => None,
            [one] => Some(*one),
            many => {
                let upns: Vec<&str> = many
                    .iter()
                    .map(|u| u.user_principal_name.as_str())
                    .collect();
                return Err(format!(
                    "employeeId {} is on {} directory users ({}); remove it from all but one",
                    sourced.worker.employee_id,
                    many.len(),
                    upns.join(", ")
                ));
            }
        };
        if let Some(account) = &desired.account {
            check_account(account, existing, self.group_slot, self.skus).map_err(|problem| {
                format!("the mapping plugin's answer cannot be used: {problem}")
            })?;
        }
        Ok(Entry {
            position,
            sourced,
            desired,
            existing,
            today: self.today.in_zone(sourced.worker.time_zone.as_ref()),
            takeover: None,
        })
    }
}

/// Chooses identities for the new accounts and records the account of every worker the index
/// cannot find by employee id (planned, restored, adopted or held), so managers can be pointed
/// at; a worker none of whose candidates can be used is quarantined (and leaves `entries`).
/// Gives, for each entry kept, the identity chosen for its new account, if it gets one. The
/// entries stay where they are: a large run copies none.
pub(super) fn choose_accounts<'a>(
    entries: &mut Vec<Entry<'_, 'a>>,
    index: &DirectoryIndex<'a>,
    quarantined: &mut Vec<Quarantined>,
) -> (ChosenIdentities, HashMap<&'a str, AccountRef<'a>>) {
    let identities = allocate_identities(entries, index);
    let mut accounts: HashMap<&str, AccountRef> = HashMap::default();
    let mut chosen = Vec::with_capacity(entries.len());
    let mut keep = Vec::with_capacity(entries.len());
    for (entry, identity) in entries.iter().zip(identities) {
        let worker_id = entry.sourced.worker.employee_id.as_str();
        let kept = match (entry.existing, identity) {
            // Found by the worker's employee id, which the index answers for (100,000 of them
            // on a large plan).
            (Some(_), _) if entry.takeover.is_none() => Some(None),
            (Some(user), _) => {
                accounts.insert(worker_id, AccountRef::existing(user));
                Some(None)
            }
            (None, Ok(Some(new))) => {
                accounts.insert(worker_id, AccountRef::planned(&new.user_principal_name));
                Some(Some(Box::new(new)))
            }
            (None, Ok(None)) => Some(None),
            (None, Err(reason)) => {
                quarantined.push(Quarantined {
                    employee_id: Some(worker_id.to_owned()),
                    source: entry.sourced.source.clone(),
                    reason: reason.to_string(),
                });
                None
            }
        };
        keep.push(kept.is_some());
        chosen.extend(kept);
    }
    let mut keep = keep.into_iter();
    entries.retain(|_| keep.next().unwrap_or(false));
    (chosen, accounts)
}

/// The identity chosen for each worker's new account, if it gets one: boxed, as few do.
type ChosenIdentities = Vec<Option<Box<Chosen>>>;

/// Plans with fewer workers than this are admitted and reconciled on one thread: a thread costs
/// more than it saves on a small plan.
const TWO_THREADS_FROM: usize = 4096;

/// Whether `workers` are worth splitting over two threads (and this machine has two cores).
pub(super) fn on_two_threads(workers: usize) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    cores >= 2 && workers >= TWO_THREADS_FROM
}

/// Runs `first` on this thread and `later` on another at the same time; a panic in either is
/// raised here.
pub(super) fn beside<A, B: Send>(
    first: impl FnOnce() -> A,
    later: impl FnOnce() -> B + Send,
) -> (A, B) {
    std::thread::scope(|scope| {
        let later = scope.spawn(later);
        let first = first();
        let later = later
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, later)
    })
}

/// A returning worker whose account was deleted (and is still in the tenant's deleted items)
/// gets it back rather than a new one.
pub(super) fn restore_deleted<'a>(entries: &mut [Entry<'_, 'a>], index: &DirectoryIndex<'a>) {
    for entry in entries.iter_mut().filter(|e| needs_new_account(e)) {
        let employee_id = entry.sourced.worker.employee_id.as_str();
        if let Some(deleted) = index.deleted_user_by_employee_id(employee_id) {
            entry.existing = Some(deleted);
            entry.takeover = Some(Takeover::Restore);
        }
    }
}

/// Matches the workers without an account to accounts without an `employeeId`: certain
/// matches are adopted when the configuration says so, every other match holds its worker.
/// The report, when some worker had no account.
pub(super) fn match_existing<'a>(
    entries: &mut [Entry<'_, 'a>],
    index: &DirectoryIndex<'a>,
    config: &MatchingConfig,
) -> Option<MatchReport> {
    let seeking_at: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].existing.is_none() && entries[i].desired.account.is_some())
        .collect();
    if seeking_at.is_empty() {
        return None;
    }
    let names: Vec<String> = seeking_at
        .iter()
        .map(|&i| reasons::hr_name(&entries[i].sourced.worker))
        .collect();
    let seeking: Vec<Seeking<'_>> = seeking_at
        .iter()
        .zip(&names)
        .map(|(&i, name)| Seeking {
            worker: &entries[i].sourced.worker,
            identity: entries[i]
                .desired
                .account
                .as_ref()
                .and_then(|a| a.identities.first())
                .map(|identity| identity.user_principal_name.as_str()),
            name,
        })
        .collect();
    let report = correlate(&seeking, index, config);
    drop(seeking);
    let users: HashMap<&str, &'a DirectoryUser> =
        match config.auto_confirm || !config.confirmed.is_empty() {
            true => index
                .snapshot()
                .users
                .iter()
                .map(|u| (u.id.as_str(), u))
                .collect(),
            false => HashMap::default(),
        };
    let mut adopted_by_review: rustc_hash::FxHashSet<&str> = Default::default();
    for (&i, found) in seeking_at.iter().zip(&report.workers) {
        let entry = &mut entries[i];
        let reviewed = confirmed_account(config, found, &users)
            .filter(|user| adopted_by_review.insert(user.id.as_str()));
        if let Some(user) = reviewed {
            entry.existing = Some(user);
            entry.takeover = Some(Takeover::Adopt {
                reason: "the match was confirmed on review".into(),
            });
            continue;
        }
        entry.takeover = match found.outcome {
            MatchOutcome::None => None,
            MatchOutcome::Certain if config.auto_confirm => {
                let Some(user) = found
                    .candidates
                    .first()
                    .and_then(|c| users.get(c.user_id.as_str()))
                else {
                    continue;
                };
                entry.existing = Some(user);
                Some(Takeover::Adopt {
                    reason: reasons::adopt(found),
                })
            }
            _ => Some(Takeover::Hold {
                note: held_note(found),
            }),
        };
    }
    Some(report)
}

/// The account a reviewer confirmed for this worker: one of its candidates, or (a pair the
/// rules did not find) any account that still has no `employeeId`.
fn confirmed_account<'a>(
    config: &MatchingConfig,
    found: &WorkerMatch,
    users: &HashMap<&str, &'a DirectoryUser>,
) -> Option<&'a DirectoryUser> {
    let confirmed = config
        .confirmed
        .iter()
        .find(|c| c.employee_id.trim() == found.employee_id)?;
    let account = confirmed.account.trim();
    // The confirmed account is named by object id or by UPN.
    let as_upn = Upn::from(account);
    let by_id = found
        .candidates
        .iter()
        .find(|c| as_upn == c.user_principal_name.as_str())
        .map_or(account, |c| c.user_id.as_str());
    users
        .get(by_id)
        .or_else(|| users.values().find(|u| u.user_principal_name == as_upn))
        .copied()
        .filter(|user| user.employee_id.is_none())
}

fn held_note(found: &WorkerMatch) -> String {
    let accounts: Vec<String> = found
        .candidates
        .iter()
        .map(|c| {
            format!(
                "{} ({}: {})",
                c.user_principal_name,
                c.confidence.word(),
                c.evidence.join("; ")
            )
        })
        .collect();
    let what = if found.outcome == MatchOutcome::Ambiguous {
        "several possible existing accounts"
    } else {
        "possible existing account"
    };
    format!(
        "{what}: {}; no account is made until the match is confirmed (tenure match --confirm) or the worker is listed in matching.exclude_workers",
        accounts.join(", ")
    )
}

pub(super) type ResolvedManaged<'a> = (
    Vec<ManagedGroup<'a>>,
    HashMap<GroupRef, usize>,
    BTreeMap<String, &'a SubscribedSku>,
);

/// Finds every managed group and license in the tenant; all that are missing are reported at once.
pub(super) fn resolve_managed<'a>(
    index: &DirectoryIndex<'a>,
    managed: &Managed,
) -> Result<ResolvedManaged<'a>, PlanError> {
    let mut problems = Vec::new();
    let mut groups: Vec<ManagedGroup<'a>> = Vec::new();
    let mut slot = HashMap::default();
    let mut by_id: HashMap<&str, usize> = HashMap::default();
    for wanted in &managed.groups {
        match index.group(wanted) {
            Ok(group) => {
                let at = *by_id.entry(group.id.as_str()).or_insert_with(|| {
                    groups.push(ManagedGroup { group });
                    groups.len() - 1
                });
                slot.insert(wanted.clone(), at);
            }
            Err(problem) => problems.push(problem.to_string()),
        }
    }
    let mut skus = BTreeMap::new();
    for part in &managed.licenses {
        match index.sku(part) {
            Some(sku) => {
                skus.insert(part.to_uppercase(), sku);
            }
            None => problems.push(format!(
                "license {part:?} is not one of the tenant's subscribed SKUs ({})",
                index
                    .snapshot()
                    .subscribed_skus
                    .iter()
                    .map(|s| s.sku_part_number.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    if problems.is_empty() {
        Ok((groups, slot, skus))
    } else {
        Err(PlanError::UnknownManaged { problems })
    }
}

/// Trusts nothing a plugin says: names must be known, groups and licenses managed.
fn check_account(
    account: &Account,
    existing: Option<&DirectoryUser>,
    group_slot: &HashMap<GroupRef, usize>,
    skus: &BTreeMap<String, &SubscribedSku>,
) -> Result<(), String> {
    if account.display_name.trim().is_empty() || account.display_name.chars().count() > 256 {
        return Err("displayName must have 1 to 256 characters".into());
    }
    let mut usage_location = existing.and_then(|u| u.usage_location.as_deref());
    for (attribute, value) in &account.attributes {
        match (attribute, value) {
            (UserAttribute::UsageLocation, Some(code)) => {
                if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(format!(
                        "usageLocation {code:?} is not a two-letter country code"
                    ));
                }
                usage_location = Some(&**code);
            }
            (UserAttribute::UsageLocation, None) => usage_location = None,
            (UserAttribute::EmployeeHireDate, Some(date))
                if date.parse::<jiff::Timestamp>().is_err() =>
            {
                return Err(format!(
                    "employeeHireDate {date:?} is not a timestamp such as 2026-01-05T00:00:00Z"
                ));
            }
            _ => {}
        }
    }
    if let Some(group) = account.groups.iter().find(|g| !group_slot.contains_key(*g)) {
        return Err(format!(
            "{} {:?} is not among the groups the configuration manages",
            group.kind.describe(),
            group.name
        ));
    }
    if let Some(license) = account
        .licenses
        .iter()
        .find(|l| !skus.contains_key(&l.to_uppercase()))
    {
        return Err(format!(
            "license {license:?} is not among the licenses the configuration manages"
        ));
    }
    if !account.licenses.is_empty() && usage_location.is_none() {
        return Err(
            "licenses need a usage location, and the worker has none: give the HR record a country"
                .into(),
        );
    }
    Ok(())
}

/// Whether a worker without an account needs one made now.
pub(super) fn needs_new_account(entry: &Entry<'_, '_>) -> bool {
    entry.existing.is_none()
        && entry.takeover.is_none()
        && entry.desired.account.is_some()
        && !matches!(entry.desired.phase, Phase::Terminated | Phase::NotYet)
}
