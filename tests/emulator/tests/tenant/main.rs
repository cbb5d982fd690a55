//! Black-box tests of the emulated tenant, with a client written from Microsoft's documentation.

mod batch;
mod delta;
mod dump;
mod exchange;
mod faults;
mod groups;
mod helpers;
mod licenses;
mod mailbox_changes;
mod queries;
mod throttling;
mod tokens;
mod users;
