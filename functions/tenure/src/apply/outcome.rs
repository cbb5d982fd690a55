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
    /// How many actions ended in each way: (applied, deferred, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        self.outcomes
            .iter()
            .fold((0, 0, 0, 0), |(a, d, f, s), o| match o.outcome {
                Outcome::Applied => (a + 1, d, f, s),
                Outcome::Deferred { .. } => (a, d + 1, f, s),
                Outcome::Failed { .. } => (a, d, f + 1, s),
                Outcome::Skipped { .. } => (a, d, f, s + 1),
            })
    }

    /// Whether every action was applied.
    pub fn is_complete(&self) -> bool {
        self.outcomes.iter().all(|o| o.outcome == Outcome::Applied)
    }
}
