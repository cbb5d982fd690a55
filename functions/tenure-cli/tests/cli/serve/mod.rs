//! `tenure serve`: signed HR webhooks provisioned against the tenant end to end (with `tenure
//! emulate` as its own process, or the in-process emulated tenant); bad deliveries refused with
//! nothing queued or changed; administrators signing in against the emulated tenant; plugin
//! uploads only by them; API tokens for automation; `tenure plugin upload` with one; secrets kept out of output and files; bad flags.

mod admin;
mod deliveries;
mod flags;
pub(crate) mod harness;
mod plugins;
mod tokens;
mod upload;
