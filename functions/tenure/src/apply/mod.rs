//! Apply: carry out a plan against a directory, report each action's outcome, and audit it.
//!
//! The applier takes a [`Plan`](crate::plan::Plan) and a [`DirectoryWriter`] (the live Microsoft
//! tenant, or a snapshot in memory) and runs every action: new accounts first (so that managers
//! exist before their reports point at them), then each worker's remaining actions in plan
//! order, many workers at once. It never creates twice: before a create it asks the directory
//! whether a user with that employee id already exists (a create cut off halfway by a lost
//! connection is found and finished, not repeated). An action that cannot happen yet (a
//! mailbox that does not exist until its license has been processed) is *deferred*: the next
//! sync plans it again, because plans are computed from state. An action the directory gave up
//! on for want of time (a provision run's stop time) is *postponed*, and the run starts nothing
//! more: its continuation plans it again. Every applied change is audited
//! with its reason and Microsoft's request id; no secret is ever written into an outcome or an
//! audit record.
//!
//! # Files
//!
//! - `run`: the order of work: creates first, then each worker's actions (runs of plain Graph
//!   writes chained into one request), group additions gathered per group at the end; deferrals;
//!   the observer told of each action as it settles.
//! - `writer`: the [`DirectoryWriter`] seam, and the in-memory directory that applies a plan to a
//!   snapshot.
//! - `outcome`: what became of each action: applied, deferred, postponed, failed or skipped.
//! - `audit`: the record of an applied change, with before and after.
//! - `password`: new users' first passwords, only ever held as secrets.

mod audit;
mod outcome;
mod password;
mod run;
mod writer;

pub use audit::AuditRecord;
pub use outcome::{ActionOutcome, ApplyReport, Outcome};
pub use password::new_password;
pub use run::{ApplyOptions, Observer, apply, apply_observed};
pub use writer::{DirectoryWriter, InMemoryDirectory, Target, WriteError, Written, chains};
