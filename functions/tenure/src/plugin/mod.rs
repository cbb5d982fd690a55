//! The plugin host: runs customers' WebAssembly mapping plugins in a strict sandbox.
//!
//! A plugin is a WebAssembly component of the world `plugin` in `plugins/wit/mapper.wit`
//! (`tenure:mapper@1.0` to `1.1`): it exports `validate-config`, `map` and `map-batch`, and turns
//! a [`Worker`](crate::worker::Worker) into a [`DesiredState`](crate::desired::DesiredState).
//! Since 1.1 it may also export `mapping-json.map-batch-json` (world `plugin-json`), the batch
//! call with its items and answers as JSON text, which Tenure then uses ([`BatchCall`]).
//!
//! ```no_run
//! use tenure::plugin::{PluginHost, SandboxLimits, STANDARD_MAPPER};
//!
//! let host = PluginHost::new(SandboxLimits::default(), None)?;
//! let plugin = host.load(STANDARD_MAPPER)?;
//! let managed = plugin.validate_config("{}", &["contoso.com".to_owned()])?;
//! # Ok::<(), tenure::plugin::PluginError>(())
//! ```
//!
//! # Glossary
//!
//! * [`PluginHost`]: one wasmtime `Engine` (fuel and epoch interruption on), one pre-built
//!   linker, a thread that advances the epoch, and the compile cache.
//! * [`Plugin`]: a component that passed the checks, compiled and pre-linked once; every call
//!   runs in a fresh `Store` (one per batch of workers), so nothing survives between batches,
//!   let alone between customers.
//! * [`SandboxLimits`]: fuel, wall-clock deadline, memory, output size and upload size, with
//!   documented defaults.
//!
//! # Loading
//!
//! [`PluginHost::load`] refuses, each with its own [`PluginError`]: an upload over the size
//! limit; bytes that are not a component; a component that does not export
//! `tenure:mapper/mapping` at 1.0 or 1.1 (saying what it exports instead), or exports
//! `mapping-json` with another function; and one that imports anything
//! not on the allow-list below (naming the import). Then it compiles once: with a cache
//! directory, `Engine::precompile_component` and a file keyed by the wasm's SHA-256 and the
//! engine's compatibility hash (see the `cache` module); without one, in memory.
//!
//! # The sandbox
//!
//! What plugins import, as measured with `Component::component_type().imports()`:
//!
//! * A Rust `wasm32-wasip2` cdylib built with `wit-bindgen`, whatever it does: the
//!   contract's `tenure:mapper/types` (types only), `wasi:io/{error,poll,streams}` and
//!   `wasi:cli/{environment,exit,stdin,stdout,stderr,terminal-*}`. Touching `std::fs` adds
//!   `wasi:clocks/wall-clock` and `wasi:filesystem/{types,preopens}`; touching `std::net` adds
//!   `wasi:clocks/monotonic-clock` and all of `wasi:sockets/*`.
//! * componentize-js 0.23: by default also `wasi:http/{types,outgoing-handler}` (for `fetch`);
//!   built with `--disable http fetch-event stdio`, only `wasi:io/{poll,error,streams}`,
//!   `wasi:cli/stderr`, `wasi:clocks` and `wasi:random/random`, and it runs here. (With
//!   `stdio`, its wasi-libc asks for the preopened directories on the first `console.log`,
//!   which stops the call as file access.)
//! * componentize-py 0.25: all of `wasi:sockets/*` (CPython's socket module) besides the rest;
//!   built with `--stub-wasi`, no WASI at all, and it runs here (writing to the real stdout or
//!   stderr then traps).
//!
//! So plugins may import WASI 0.2's `io`, `cli`, `clocks`, `random` and `filesystem`
//! interfaces, each of which the host implements so that it gives nothing away:
//!
//! * no environment variables, arguments or working directory (a plugin that reads its
//!   environment sees it empty);
//! * stdin closed, stdout discarded, stderr kept only to quote a crash (its last 1 KiB);
//! * the wall clock fixed at 2000-01-01T00:00:00Z, the monotonic clock at zero, timers denied:
//!   today's date comes in the context, and nothing can sleep;
//! * randomness from a fixed seed, so every run maps the same way;
//! * no preopened directory: asking for one (which Rust's standard library and wasi-libc do
//!   only when a path is first used) stops the call with [`PluginError::Denied`] ("the sandbox
//!   denies file access"), and without a directory no file can be named.
//!
//! Everything else is refused at load with [`PluginError::ForbiddenImport`], whose message
//! says how to build without it: `wasi:sockets/*` (so a plugin that would open a socket never
//! runs), `wasi:http/*`, other WASI versions, and any custom import.
//!
//! # Running
//!
//! Each call is given fuel ([`SandboxLimits::fuel_per_worker`] per worker: deterministic), an
//! epoch deadline as a wall-clock backstop, a memory limit, and its answers are measured
//! against [`SandboxLimits::output_bytes`]. [`Plugin::map_all`] maps workers in batches
//! ([`Plugin::map_each`] hands each batch's answers over as soon as it is mapped); when a
//! batch fails it maps that batch's workers one by one, so a trap, a hang, a memory bomb or
//! an oversized answer fails only the worker that caused it.
//!
//! Measured on one core of the development machine, release build, 20,000 workers, in batches
//! of 128 then: a trivial Rust plugin costs about 2.2 µs per worker all included (a fresh
//! instance, about 40 µs, is shared by the batch). The standard mapper uses about 28,500 fuel per
//! worker with its README's example configuration, about 14,200 for a worker that already has an
//! account, whose identity candidates it skips (65,000 and 50,000 before it allocated from a
//! bump allocator); on a 100,000-worker plan it maps about 3.5 µs per worker on both cores
//! (docs/benchmarks.md).
//! JavaScript and Python plugins carry their interpreter: the reference plugins of
//! `plugins/examples` use about 34,000 fuel per worker in Rust, 491,000 in Python, and in
//! JavaScript 522,000 through the JSON batch call (2.58 million through the typed call, whose
//! componentize-js glue hands every returned string back one character at a time in interpreted
//! JavaScript); fuel is the same on every machine. On two idle cores JavaScript took 73 µs per
//! worker (192 µs typed), Python 89 µs, Rust 18 µs. `cargo bench --workspace --bench plugins`
//! measures them (docs/benchmarks.md).
//!
//! # Files
//!
//! - `host`: [`PluginHost`]: the engine, the load checks, compiling.
//! - `contract`: the world's version and the import allow-list; `bindings`: the generated
//!   bindings of `plugins/wit/mapper.wit`.
//! - `sandbox`: the deny-all WASI and the store limits; `limits`: [`SandboxLimits`] and its
//!   defaults; `epoch`: the ticker behind the wall-clock deadline.
//! - `cache`: precompiled components on disk, keyed by the wasm's SHA-256 and the engine's
//!   compatibility hash, checked before they are loaded.
//! - `mapping`: [`Plugin`]: batches on every core, re-run one by one when a batch fails.
//! - `json_batch`: the JSON batch call's items written, and its answers read strictly into the
//!   contract's records.
//! - `convert`: domain types to contract types and back, parsed at the edge.
//! - `fault` and `error`: named failures; `stderr`: a crashed plugin's last words.

// Generated code: it calls typed functions through `unsafe` after type-checking them itself.
#[allow(unsafe_code, unreachable_pub, missing_docs, clippy::all)]
mod bindings;
mod cache;
mod contract;
mod convert;
mod epoch;
mod error;
mod fault;
mod host;
mod json_batch;
mod limits;
mod mapping;
mod sandbox;
mod stderr;

pub use cache::CodeKey;
pub use error::PluginError;
pub use host::PluginHost;
pub use limits::SandboxLimits;
pub use mapping::{BatchCall, MapItem, MapOutcome, Plugin};

/// Tenure's standard mapper, driven by a JSON configuration; built from `plugins/standard-mapper`
/// by the engine's build script.
pub static STANDARD_MAPPER: &[u8] = include_bytes!(env!("TENURE_STANDARD_MAPPER_WASM"));
