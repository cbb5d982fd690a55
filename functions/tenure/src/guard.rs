//! The guard: a plan that would lock out or strip too many people at once is refused.
//!
//! A wrong HR export (an empty file, a filter gone wrong) must not disable a company. The guard
//! counts managed users the plan disables or takes licenses from and refuses the plan when
//! that share is above the policy's, unless the operator explicitly allows it.

use serde::{Deserialize, Serialize};

use crate::plan::{GuardVerdict, Plan};

/// When the guard refuses a plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GuardPolicy {
    /// The largest share of managed users (0.0–1.0) a plan may disable or strip. Default 0.10.
    pub max_share: f64,
    /// A plan touching at most this many users always passes (small tenants). Default 5.
    pub min_users: usize,
    /// The operator has allowed this plan anyway.
    pub allow: bool,
}

impl Default for GuardPolicy {
    fn default() -> Self {
        Self {
            max_share: 0.10,
            min_users: 5,
            allow: false,
        }
    }
}

impl GuardPolicy {
    /// Checks a share given on the command line or in configuration.
    pub fn parse_share(text: &str) -> Result<f64, String> {
        let trimmed = text.trim();
        let (number, scale) = match trimmed.strip_suffix('%') {
            Some(percent) => (percent, 100.0),
            None => (trimmed, 1.0),
        };
        match number.trim().parse::<f64>() {
            Ok(value) if (0.0..=1.0).contains(&(value / scale)) => Ok(value / scale),
            _ => Err(format!(
                "{text:?} is not a share between 0 and 1 (or 0% and 100%)"
            )),
        }
    }

    /// Judges a plan against a directory with `managed_users` users that carry an `employeeId`.
    pub fn judge(&self, plan: &Plan, managed_users: usize) -> GuardVerdict {
        let stripped = plan
            .workers
            .iter()
            .filter(|w| w.user_id.is_some() && w.actions.iter().any(|a| a.op.strips_access()))
            .count();
        let limit = (self.max_share * managed_users as f64).floor() as usize;
        let over = stripped > self.min_users && stripped > limit;
        let message = match (over, self.allow) {
            (false, _) => None,
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
