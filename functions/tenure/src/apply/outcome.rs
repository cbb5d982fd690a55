//! What became of each action.

use serde::{Deserialize, Serialize};

/// The fate of one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Applied,
    /// Not possible yet; the next sync plans it again.
    Deferred {
        /// Why.
        reason: String,
    },
    /// Not attempted, or not waited for, because the run's time was up (the directory asked
    /// to wait past the run's stop time): not a failure; the run's continuation plans it again.
    Postponed {
        /// Why.
        reason: String,
    },
    /// The directory refused it or could not be reached.
    Failed {
        /// What went wrong.
        error: String,
    },
    /// Not attempted, because an action it depends on did not happen.
    Skipped {
        /// Which, and why.
        reason: String,
    },
}

/// One action's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutcome {
    /// The worker.
    pub employee_id: String,
    /// The action's kind, as in the plan.
    pub kind: String,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Microsoft's request id, when the directory gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Every outcome of a run, with counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// One per action of the plan, workers in plan order.
    pub outcomes: Vec<ActionOutcome>,
}

impl ApplyReport {
    /// How many actions ended in each way: (applied, deferred, failed, skipped). Postponed
    /// actions count as deferred: another run does them.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        self.outcomes
            .iter()
            .fold((0, 0, 0, 0), |(a, d, f, s), o| match o.outcome {
                Outcome::Applied => (a + 1, d, f, s),
                Outcome::Deferred { .. } | Outcome::Postponed { .. } => (a, d + 1, f, s),
                Outcome::Failed { .. } => (a, d, f + 1, s),
                Outcome::Skipped { .. } => (a, d, f, s + 1),
            })
    }

    /// The workers with an action [`Outcome::Postponed`], each once, in plan order: what a
    /// run that ran out of time leaves to its continuation.
    pub fn postponed_workers(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        self.outcomes
            .iter()
            .filter(|o| matches!(o.outcome, Outcome::Postponed { .. }))
            .map(|o| o.employee_id.as_str())
            .filter(|id| seen.insert(*id))
            .collect()
    }

    /// Whether every action was applied.
    pub fn is_complete(&self) -> bool {
        self.outcomes.iter().all(|o| o.outcome == Outcome::Applied)
    }
}
