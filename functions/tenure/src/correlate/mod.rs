//! Correlation: matching HR workers to accounts that exist without an `employeeId`, so that
//! connecting a tenant that already has people never makes anyone a second account.
//!
//! The rules come from the `matching` section of the mapper configuration
//! ([`MatchingConfig`], with defaults that need no configuration): an HR address (the
//! `work_email` column, or the UPN Tenure would give) equal to an account's UPN, `mail` or a
//! proxy address is *certain*; the same folded name with other facts agreeing is *probable*.
//! [`correlate`] gives a [`MatchReport`]: certain and probable matches with their evidence,
//! workers with several candidates, workers with none, and the accounts nobody matched (never
//! touched). The planner holds every worker with an unconfirmed match (no account is made for
//! them) and, when `auto_confirm` is on, adopts certain matches by writing the worker's
//! `employeeId`. A reviewer confirms the rest with [`confirm`] on the reviewed report.

mod config;
mod confirm;
mod fold;
mod matcher;
mod report;

pub use config::{
    AddressField, Agreement, Confidence, ConfirmedMatch, HrAddress, MatchRule, MatchingConfig,
    MatchingConfigError, NameMatch, default_rules,
};
pub use confirm::{ConfirmError, Confirmation, confirm};
pub use fold::{name_forms, same_name};
pub use matcher::{Seeking, correlate};
pub use report::{
    Candidate, MatchOutcome, MatchReport, ReportError, UnmatchedAccount, WorkerMatch,
    read_confirmed, report_csv, report_text,
};
