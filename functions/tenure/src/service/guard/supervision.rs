//! Supervised mode: which changes wait for a person although the guard would let them through.
//! One function, [`supervise`], decides it wherever a plan is judged before it is applied (a
//! whole webhook delivery or scheduled export, [`super::judge_whole`]; each provision run,
//! whatever came before it).

use crate::plan::{Change, Op, WorkerPlan};
use crate::service::settings::Supervision;

/// Why a plan with a leaver waits, under [`Supervision::Leavers`].
pub const LEAVERS_NEED_APPROVAL: &str = "supervised: leavers need approval";
/// Why a plan waits, under [`Supervision::EveryChange`].
pub const EVERY_CHANGE_NEEDS_APPROVAL: &str = "supervised: every change needs approval";

/// Whether `mode` holds the plan of `workers` for a person, and why: under
/// [`Supervision::Leavers`] a plan with a leaver (a worker leaving, or an account being
/// disabled), under [`Supervision::EveryChange`] a plan with any action; never under
/// [`Supervision::Automatic`]. A held plan is held whole: every worker of it with an action.
pub fn supervise<'a>(
    mode: Supervision,
    workers: impl IntoIterator<Item = &'a WorkerPlan>,
) -> Option<&'static str> {
    let mut changing = workers.into_iter().filter(|w| !w.actions.is_empty());
    match mode {
        Supervision::Automatic => None,
        Supervision::Leavers => changing.any(is_leaver).then_some(LEAVERS_NEED_APPROVAL),
        Supervision::EveryChange => changing.next().map(|_| EVERY_CHANGE_NEEDS_APPROVAL),
    }
}

/// A worker leaving, or losing sign-in.
fn is_leaver(worker: &WorkerPlan) -> bool {
    worker.change == Change::Leaver || worker.actions.iter().any(|a| a.op == Op::DisableUser)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Action;

    fn worker(change: Change, ops: Vec<Op>) -> WorkerPlan {
        WorkerPlan {
            employee_id: "1".into(),
            display_name: "A".into(),
            change,
            user_id: None,
            user_principal_name: None,
            actions: ops
                .into_iter()
                .map(|op| Action {
                    op,
                    reason: "r".into(),
                })
                .collect(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn each_mode_holds_what_it_says() {
        let mover = worker(Change::Mover, vec![Op::RevokeSessions]);
        let leaver = worker(Change::Leaver, vec![Op::DisableUser]);
        let leave = worker(Change::Leave, vec![Op::DisableUser]);
        let idle = worker(Change::Unchanged, vec![]);
        let quiet_leaver = worker(Change::Leaver, vec![]);
        assert_eq!(supervise(Supervision::Automatic, [&leaver]), None);
        assert_eq!(supervise(Supervision::Leavers, [&mover, &idle]), None);
        assert_eq!(supervise(Supervision::Leavers, [&quiet_leaver]), None);
        assert_eq!(
            supervise(Supervision::Leavers, [&mover, &leaver]),
            Some(LEAVERS_NEED_APPROVAL)
        );
        assert_eq!(
            supervise(Supervision::Leavers, [&leave]),
            Some(LEAVERS_NEED_APPROVAL)
        );
        assert_eq!(supervise(Supervision::EveryChange, [&idle]), None);
        assert_eq!(
            supervise(Supervision::EveryChange, [&idle, &mover]),
            Some(EVERY_CHANGE_NEEDS_APPROVAL)
        );
    }
}
