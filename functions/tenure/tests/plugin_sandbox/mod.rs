//! The plugin host against hostile plugins built from source (`plugins/test-programs`): every
//! misbehaviour fails with its own named error, and the host and every other worker go on.

/// Hosts, the test plugins, workers and assertions shared by every module.
mod helpers;

/// Workers in many batches and threads: order, isolation, determinism.
mod batching;
/// The compile cache: reuse, and damaged files recompiled rather than trusted.
mod cache;
/// `validate-config`: a summary of what is managed, or the plugin's own refusal.
mod config;
/// One test per hostile behaviour, each inside a batch of well-behaved workers.
mod hostile;
/// The hostile cases in JavaScript and Python, contained the same way.
mod interpreted;
/// The JSON batch call (contract 1.1): broken JSON answers fail only their worker, named.
mod json_batch;
/// What `load` refuses: size, garbage, the wrong world, forbidden imports.
mod loading;
/// A host whose instances come from a pool answers as one that makes each afresh.
mod pooled;
