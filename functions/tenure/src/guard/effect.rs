//! What a change takes away, counted per user: the measure both the guard's share and the
//! rolling budget use.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

use crate::plan::{Op, WorkerPlan};

/// Users a change takes access from, by kind. Each user counts once per kind however many
/// licenses or groups they lose; users without an account yet (new hires) never count. Tenure
/// never deletes accounts, so there is no count of deletions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    /// Users who lose anything below.
    pub users: usize,
    /// Users whose sign-in is blocked.
    pub disables: usize,
    /// Users who lose one or more licenses.
    pub license_removals: usize,
    /// Users removed from one or more groups or distribution lists.
    pub group_removals: usize,
}

/// One kind of reduction the budget counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// `disable_user`.
    Disable,
    /// `remove_license`.
    LicenseRemoval,
    /// `remove_group_member`, `remove_distribution_list_member`.
    GroupRemoval,
}

impl Reduction {
    /// The kind of reduction an action is, if it is one.
    pub fn of(op: &Op) -> Option<Self> {
        match op {
            Op::DisableUser => Some(Self::Disable),
            Op::RemoveLicense { .. } => Some(Self::LicenseRemoval),
            Op::RemoveGroupMember { .. } | Op::RemoveDistributionListMember { .. } => {
                Some(Self::GroupRemoval)
            }
            _ => None,
        }
    }

    /// All kinds, in the order they are reported.
    pub const ALL: [Reduction; 3] = [Self::Disable, Self::LicenseRemoval, Self::GroupRemoval];

    /// The name used in messages and settings.
    pub fn name(self) -> &'static str {
        match self {
            Self::Disable => "disables",
            Self::LicenseRemoval => "license removals",
            Self::GroupRemoval => "group removals",
        }
    }
}

impl Effect {
    /// What one worker's plan takes away (each count 0 or 1).
    pub fn of_worker(worker: &WorkerPlan) -> Self {
        let mut effect = Self::default();
        if worker.user_id.is_none() {
            return effect;
        }
        for kind in worker.actions.iter().filter_map(|a| Reduction::of(&a.op)) {
            *effect.count_mut(kind) = 1;
        }
        effect.users = usize::from(!effect.is_empty_by_kind());
        effect
    }

    /// What these workers' plans take away together.
    pub fn of_workers<'a>(workers: impl IntoIterator<Item = &'a WorkerPlan>) -> Self {
        let mut total = Self::default();
        for worker in workers {
            total += Self::of_worker(worker);
        }
        total
    }

    /// The users counted for one kind.
    pub fn count(&self, kind: Reduction) -> usize {
        match kind {
            Reduction::Disable => self.disables,
            Reduction::LicenseRemoval => self.license_removals,
            Reduction::GroupRemoval => self.group_removals,
        }
    }

    fn count_mut(&mut self, kind: Reduction) -> &mut usize {
        match kind {
            Reduction::Disable => &mut self.disables,
            Reduction::LicenseRemoval => &mut self.license_removals,
            Reduction::GroupRemoval => &mut self.group_removals,
        }
    }

    /// The kinds with a count above zero.
    pub fn kinds(&self) -> impl Iterator<Item = Reduction> + '_ {
        Reduction::ALL.into_iter().filter(|k| self.count(*k) > 0)
    }

    /// Whether nothing is taken away.
    pub fn is_empty(&self) -> bool {
        self.users == 0 && self.is_empty_by_kind()
    }

    fn is_empty_by_kind(&self) -> bool {
        self.disables == 0 && self.license_removals == 0 && self.group_removals == 0
    }

    /// "3 disables, 2 license removals, 0 group removals".
    pub fn describe(&self) -> String {
        Reduction::ALL
            .iter()
            .map(|k| format!("{} {}", self.count(*k), k.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl AddAssign for Effect {
    fn add_assign(&mut self, other: Self) {
        self.users += other.users;
        self.disables += other.disables;
        self.license_removals += other.license_removals;
        self.group_removals += other.group_removals;
    }
}
