//! Black-box tests of the `tenure` command, one module per feature.

mod approvals;
mod bad_input;
mod connect;
mod emulate;
mod guard;
mod helpers;
mod lifecycle;
mod link;
mod notices;
mod onboarding;
mod plugin_check;
mod plugin_new;
mod plugin_test;
mod plugins;
mod serve;
mod sync;
mod tenant;
mod text;
