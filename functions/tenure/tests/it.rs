//! The engine's integration tests: one test binary (wasmtime and the AWS SDK are linked once), one
//! module per feature. A new test goes into the module of the feature it specifies (a new file in
//! that folder for a new concern); set-up that more than one module uses goes into [`support`].

/// Set-up shared by the modules below: the shared test-support crate and this binary's own.
mod support;

/// Connections against the emulated tenant with local stores: customer apps, Tenure's app, links.
mod connect;
/// The pure engine without servers: HR readers, the planner, snapshots, the samples, the applier.
mod engine;
/// The front door: sign-in, sessions, the authorization layer and the link flow, attacked.
mod front_door;
/// The Microsoft clients (Graph, Exchange, tokens, delta) against the emulated tenant.
mod microsoft;
/// The reference plugins (Rust, JavaScript, Python) built from source: one policy, one plan.
mod plugin_examples;
/// The plugin host against hostile and well-behaved plugins built from source.
mod plugin_sandbox;
/// The `plugin-upload` function through API Gateway events: checks, trial, storage, activation.
mod plugin_upload;
/// The `provision` and `scheduled-sync` handlers through their real event types, and `drain`.
mod provision;
/// The work queues (SQS on moto, in-process) through one suite.
mod queue;
/// The HTTP functions (`hr-webhook`, `consent`, `oauth-callback`) through API Gateway events.
mod service;
/// The fairness model of `benches/fairness` (a simulated deployment): its invariants.
mod simulation;
/// The secret, connection and object stores: AWS on moto and local files through one suite.
mod store;
/// HR webhooks through `tenure::webhook::accept`: signatures, replays, payloads.
mod webhook;
