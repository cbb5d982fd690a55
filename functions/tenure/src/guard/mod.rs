//! The guard: a plan that would lock out or strip too many people at once is refused.
//!
//! A wrong HR export (an empty file, a filter gone wrong) must not disable a company. The guard
//! counts managed users the plan disables or takes licenses from — and, for the deployment's
//! guard, removes from groups ([`Effect`], [`GuardPolicy::count_group_removals`]) — and refuses
//! the plan when that share is above the policy's, unless the operator explicitly allows it.
//!
//! Files: `effect` (what a change takes away, per user and kind).

mod effect;

use serde::{Deserialize, Serialize};

use crate::plan::{GuardVerdict, Plan, WorkerPlan};

pub use effect::{Effect, Reduction};

/// When the guard refuses a plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GuardPolicy {
    /// The largest share of managed users (0.0–1.0) a plan may disable or strip. Default 0.10.
    pub max_share: f64,
    /// A plan touching at most this many users always passes (small tenants). Default 5.
    pub min_users: usize,
    /// The operator has allowed this plan anyway.
    pub allow: bool,
    /// Users who only leave groups count too (the deployment's guard: webhook deliveries,
    /// scheduled exports, provision runs). Off for `tenure plan` and `tenure sync`, which count
    /// disables and license removals.
    pub count_group_removals: bool,
}

impl Default for GuardPolicy {
    fn default() -> Self {
        Self {
            max_share: 0.10,
            min_users: 5,
            allow: false,
            count_group_removals: false,
        }
    }
}

/// A share that is not between 0 and 1 (or 0% and 100%); it quotes what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a share between 0 and 1 (or 0% and 100%)")]
pub struct InvalidShare(pub String);

impl GuardPolicy {
    /// Checks a share given on the command line or in configuration.
    pub fn parse_share(text: &str) -> Result<f64, InvalidShare> {
        let trimmed = text.trim();
        let (number, scale) = match trimmed.strip_suffix('%') {
            Some(percent) => (percent, 100.0),
            None => (trimmed, 1.0),
        };
        match number.trim().parse::<f64>() {
            Ok(value) if (0.0..=1.0).contains(&(value / scale)) => Ok(value / scale),
            _ => Err(InvalidShare(text.to_owned())),
        }
    }

    /// Judges a plan against a directory with `managed_users` users that carry an `employeeId`.
    pub fn judge(&self, plan: &Plan, managed_users: usize) -> GuardVerdict {
        self.judge_workers(&plan.workers, managed_users)
    }

    /// Judges some workers' plans (those not yet approved by a person) against a directory
    /// with `managed_users` managed users.
    pub fn judge_workers<'a>(
        &self,
        workers: impl IntoIterator<Item = &'a WorkerPlan>,
        managed_users: usize,
    ) -> GuardVerdict {
        let mut effect = Effect::default();
        let mut stripped = 0;
        for worker in workers {
            let one = Effect::of_worker(worker);
            let counted = one.disables + one.license_removals > 0
                || (self.count_group_removals && one.group_removals > 0);
            stripped += usize::from(counted);
            effect += one;
        }
        let limit = (self.max_share * managed_users as f64).floor() as usize;
        let over = stripped > self.min_users && stripped > limit;
        let message = match (over, self.allow) {
            (false, _) => None,
            (true, false) if self.count_group_removals => Some(format!(
                "refused: the change disables, takes licenses from or removes from groups \
                 {stripped} of {managed_users} managed users ({}), more than the allowed {:.0}%; \
                 check the HR data, then approve the held change if it is right",
                effect.describe(),
                self.max_share * 100.0
            )),
            (true, false) => Some(format!(
                "refused: the plan disables or takes licenses from {stripped} of {managed_users} managed users, \
                 more than the allowed {:.0}%; check the HR data, then allow it explicitly (--allow-mass-changes)",
                self.max_share * 100.0
            )),
            (true, true) => Some(format!(
                "allowed by the operator although it disables or strips {stripped} of {managed_users} managed users"
            )),
        };
        GuardVerdict {
            allowed: !over || self.allow,
            managed_users,
            stripped_users: stripped,
            max_share: self.max_share,
            message,
        }
    }
}
