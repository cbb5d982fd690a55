//! Tenure's engine: HR-driven identity lifecycle for Microsoft Entra ID and Exchange Online.
//!
//! Data flows one way: HR records ([`hr`]) become normalised [`worker::Worker`]s; a sandboxed
//! WebAssembly mapping plugin ([`plugin`]) turns each into a [`desired::DesiredState`]; the
//! planner ([`plan`]) compares desired states with a [`directory::Snapshot`] and produces a
//! [`plan::Plan`] of minimal, ordered actions, each with its reason; the [`guard`] refuses
//! plans that would disable or strip too many people. [`pipeline`] chains the stages for
//! every host (CLI, local server, Lambda functions); [`report`] renders plans for people.
//! [`service`] holds the handlers those hosts run (HR webhooks, consent, plugin uploads,
//! provisioning from the [`queue`], scheduled syncs) over the stores of [`store`]; [`console`]
//! the admin console's pages over them.

pub mod apply;
pub mod auth;
pub mod clock;
mod config_section;
pub mod connect;
pub mod console;
pub mod correlate;
pub mod desired;
pub mod directory;
mod error_text;
mod grouped;
pub mod guard;
pub mod hr;
pub mod html;
mod interned;
pub mod microsoft;
pub mod names;
pub mod notify;
pub mod pipeline;
pub mod plan;
pub mod plugin;
pub mod queue;
pub mod report;
pub mod service;
pub mod store;
pub mod synthetic;
pub mod today;
pub mod webhook;
pub mod worker;

pub use error_text::error_text;
pub use interned::SharedStr;
