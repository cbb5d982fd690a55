//! Black-box tests of the emulated tenant, with a client written from Microsoft's documentation.

mod admin_consent;
mod approval;
mod authorize;
mod batch;
mod clouds;
mod code_grant;
mod delta;
mod dump;
mod exchange;
mod exchange_roles;
mod faults;
mod first_day;
mod groups;
mod helpers;
mod licenses;
mod mailbox_changes;
mod queries;
mod refresh;
mod sign_in_client;
mod throttling;
mod tokens;
mod users;
