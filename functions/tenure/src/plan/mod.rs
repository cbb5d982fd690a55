//! Reconcile and plan: desired states against the directory, giving minimal ordered actions.
//!
//! The planner is a pure function of its inputs ([`PlanInput`]): it never calls a plugin or
//! the network, so the same inputs always give the same [`Plan`].
//!
//! # Files
//!
//! - `planner`: checks each plugin answer (known properties, managed groups and licenses, verified
//!   domains), resolves the managed groups and licenses, finds or names the accounts of workers
//!   without one, and builds a plan from every answer at once.
//! - `builder`: the plan made while the plugin answers: the workers without an account first,
//!   then the others batch by batch, each batch's answers let go once planned.
//! - `identity`: the first free UPN and mail nickname from the plugin's ordered candidates, taken
//!   by workers in employee-id order.
//! - `reconcile`: one worker's minimal actions.
//! - `reasons`: the words of each action's reason.
//! - `order`: managers first, so a new manager exists before anyone points at it.
//! - `action`: the action kinds.
//! - `first_day`: first-day access on the start day, once per start.

mod action;
mod builder;
mod first_day;
mod identity;
mod order;
mod planner;
mod reasons;
mod reconcile;
mod warnings;

use serde::{Deserialize, Serialize};

pub use action::{AccessRecipient, Action, Op, RecipientRole, ValueChange};
pub(crate) use builder::PlanBuilder;
pub use first_day::FirstDayPlanning;
pub use identity::{IdentityError, MAX_LOCAL_PART, shorten};
pub use planner::{PlanError, PlanInput, build_plan, build_plan_indexed};
pub use warnings::name_rules;

use crate::correlate::MatchReport;
use crate::hr::Quarantined;
use crate::names::Upn;

/// How a worker's situation changes in this plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A new account for a new hire.
    Joiner,
    /// Hired for a later date: created disabled ahead of the start, or not yet due.
    PreHire,
    /// Attributes, manager, groups or licenses move with the job.
    Mover,
    /// Going on or coming back from leave.
    Leave,
    /// Leaving: access removed per the leaver policy.
    Leaver,
    /// Coming back: the same account is brought back.
    Rehire,
    /// An account that already existed without an `employeeId` is taken over (its
    /// `employeeId` written), then reconciled like any other.
    Adopt,
    /// An account that may already be the worker's awaits confirmation: nothing is made.
    Held,
    /// Nothing to do.
    Unchanged,
}

impl Change {
    /// Every change, in the order reports show them.
    pub const ALL: [Self; 9] = [
        Self::Joiner,
        Self::PreHire,
        Self::Mover,
        Self::Leave,
        Self::Leaver,
        Self::Rehire,
        Self::Adopt,
        Self::Held,
        Self::Unchanged,
    ];

    /// A heading for reports.
    pub fn heading(self) -> &'static str {
        match self {
            Self::Joiner => "Joiners",
            Self::PreHire => "Pre-hires",
            Self::Mover => "Movers",
            Self::Leave => "Leave",
            Self::Leaver => "Leavers",
            Self::Rehire => "Rehires",
            Self::Adopt => "Existing accounts adopted",
            Self::Held => "Held: possible existing account (confirm with tenure match --confirm)",
            Self::Unchanged => "Unchanged",
        }
    }
}

/// The plan for one worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerPlan {
    /// The HR key.
    pub employee_id: String,
    /// The display name, for people reading the plan.
    pub display_name: String,
    /// How the worker's situation changes.
    pub change: Change,
    /// The directory object id, when the account exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<crate::SharedStr>,
    /// The account's UPN (existing, or chosen for a new account).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<Upn>,
    /// The changes, in the order they are to run.
    pub actions: Vec<Action>,
    /// What a person should know about this worker besides the actions: why nothing happens
    /// yet, or what the planner had to leave out and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Counts for a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Workers read and mapped.
    pub workers: usize,
    /// New accounts.
    pub joiners: usize,
    /// Hired for a later date.
    pub pre_hires: usize,
    /// Job changes.
    pub movers: usize,
    /// Leave starts and returns.
    pub leave: usize,
    /// Leavers.
    pub leavers: usize,
    /// Rehires.
    pub rehires: usize,
    /// Existing accounts adopted.
    #[serde(default)]
    pub adopted: usize,
    /// Workers held until a possible existing account is confirmed.
    #[serde(default)]
    pub held: usize,
    /// Nothing to do.
    pub unchanged: usize,
    /// Records set aside.
    pub quarantined: usize,
    /// Actions in all.
    pub actions: usize,
}

/// The guard's verdict on a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardVerdict {
    /// Whether the plan may be applied.
    pub allowed: bool,
    /// Managed users (directory users with an `employeeId`).
    pub managed_users: usize,
    /// Users the plan disables or takes licenses from (and, for the deployment's guard, removes
    /// from groups).
    pub stripped_users: usize,
    /// The share above which the guard refuses.
    pub max_share: f64,
    /// Why it refused, or that it was overridden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Facts about the plugin run, for the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginReport {
    /// SHA-256 of the plugin's wasm.
    pub sha256: String,
    /// Fuel (deterministic instruction budget) spent over all workers.
    pub fuel_consumed: u64,
}

/// A plan: what changes and why, for every worker, plus what was set aside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The moment the plan was made for (a date, or an instant judged per time zone).
    pub today: String,
    /// Counts.
    pub summary: Summary,
    /// Every mapped worker, managers before their reports.
    pub workers: Vec<WorkerPlan>,
    /// Records set aside, with file, line and reason.
    pub quarantined: Vec<Quarantined>,
    /// The guard's verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard: Option<GuardVerdict>,
    /// The plugin run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<PluginReport>,
    /// Workers without an account matched to accounts without an `employeeId` (present when
    /// some worker had no account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<MatchReport>,
    /// Problems of the configuration that the plan works around, each said once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<ConfigWarning>,
}

/// A configuration problem the plan works around without acting (each said once per plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigWarning {
    /// What is wrong and what the plan does about it.
    pub message: String,
    /// The group concerned, by object id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The configuration rules involved, when known (`rules[0]`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// The workers concerned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub employee_ids: Vec<String>,
}

impl Plan {
    /// Recounts the summary from the workers and quarantine.
    pub fn summarize(&mut self) {
        let mut summary = Summary {
            workers: self.workers.len(),
            quarantined: self.quarantined.len(),
            ..Summary::default()
        };
        for worker in &self.workers {
            summary.actions += worker.actions.len();
            let slot = match worker.change {
                Change::Joiner => &mut summary.joiners,
                Change::PreHire => &mut summary.pre_hires,
                Change::Mover => &mut summary.movers,
                Change::Leave => &mut summary.leave,
                Change::Leaver => &mut summary.leavers,
                Change::Rehire => &mut summary.rehires,
                Change::Adopt => &mut summary.adopted,
                Change::Held => &mut summary.held,
                Change::Unchanged => &mut summary.unchanged,
            };
            *slot += 1;
        }
        self.summary = summary;
    }

    /// Whether the plan changes anything.
    pub fn is_empty(&self) -> bool {
        self.workers.iter().all(|w| w.actions.is_empty())
    }
}
