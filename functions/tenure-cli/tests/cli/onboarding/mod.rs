//! Connecting tenants that already have people, against the emulated tenant: matching and
//! adopting existing accounts (`existing`), unique names against every address and deleted
//! user, long names (`uniqueness`), and memberships that need a mailbox (`mailboxless`).

mod existing;
mod harness;
mod mailboxless;
mod uniqueness;
