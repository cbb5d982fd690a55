//! The guard at the deployment's scale: whole changes judged before they are queued
//! ([`judge_whole`]), a rolling 24-hour budget every provision run draws from ([`budget`]), and
//! the pending approvals where whatever the guard refused waits for a person ([`approvals`]).
//!
//! Files: `whole` (judging a delivery or an export against the cached directory), `budget` (the
//! ledger and its compare-and-swap draws), `approvals` (held changes: keep, list, approve, reject),
//! `supervision` (which plans a connection's supervised mode holds for a person), `review`
//! (the plan a person approves, by its digest, and what differs when it changed).

pub mod approvals;
pub mod budget;
pub mod review;
mod supervision;
mod whole;

pub use approvals::{
    Approval, ApprovalError, ApprovalStatus, Approved, Hold, MAX_NOTE_CHARS, Origin, approval_key,
    approve, approve_reviewed, hold, list, reject,
};
pub use budget::{BUDGET_WINDOW, BudgetError, Grant, Request, budget_key, draw};
pub use review::{NO_PLAN, Review, differences, plan_digest, refresh, review};
pub use supervision::{EVERY_CHANGE_NEEDS_APPROVAL, LEAVERS_NEED_APPROVAL, supervise};
pub use whole::{JudgeError, Judgment, ServiceGuard, judge_whole, preview};
