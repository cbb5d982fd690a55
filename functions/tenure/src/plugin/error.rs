//! What can go wrong with a plugin, in words a customer can act on.

use std::time::Duration;

use crate::desired::MappingError;

/// Why a plugin could not be loaded, or could not map a worker or check a configuration.
///
/// Messages say what happened, which limit was crossed and what to do. They quote the
/// plugin's own words where it gave any, and never anything of the host's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// The upload is larger than [`SandboxLimits::max_wasm_bytes`](super::SandboxLimits).
    #[error(
        "the plugin is {bytes} bytes, more than the {limit} bytes an upload may have; \
         build it in release mode without debug information, or ask for a higher limit"
    )]
    TooLarge {
        /// Size of the upload.
        bytes: usize,
        /// The limit it crossed.
        limit: usize,
    },

    /// The upload is not a WebAssembly component (garbage, a core module, or a component
    /// that does not validate).
    #[error(
        "the upload is not a valid WebAssembly component ({reason}); build the plugin as a \
         component, for Rust with `cargo build --target wasm32-wasip2`"
    )]
    NotAComponent {
        /// What the validator said.
        reason: String,
    },

    /// The component is not a Tenure mapping plugin of a version this Tenure runs.
    #[error(
        "the plugin exports {found}; this Tenure runs {expected}. Build the plugin against \
         Tenure's WIT contract (plugins/wit/mapper.wit), world `plugin`"
    )]
    WrongWorld {
        /// What the component exports instead.
        found: String,
        /// What this Tenure expects.
        expected: String,
    },

    /// The component imports something the sandbox does not give plugins.
    #[error(
        "the plugin imports `{import}`, which the sandbox does not provide: a mapping plugin \
         may not use the network, HTTP or any host function besides Tenure's contract and a \
         deny-all WASI. {hint}",
        hint = import_hint(import)
    )]
    ForbiddenImport {
        /// The import's full name, such as `wasi:sockets/tcp@0.2.6`.
        import: String,
    },

    /// The plugin used up its fuel: it computes too much, or loops forever.
    #[error(
        "the plugin ran out of fuel after {fuel} units (about one per instruction): it loops \
         forever or does far too much work for one worker"
    )]
    FuelExhausted {
        /// The fuel the worker (or configuration check) was given.
        fuel: u64,
    },

    /// The plugin ran past its wall-clock deadline.
    #[error("the plugin was stopped after running for {after:?}, longer than the sandbox allows")]
    Timeout {
        /// The deadline it crossed.
        after: Duration,
    },

    /// The plugin tried to grow its memory beyond the limit.
    #[error(
        "the plugin tried to use more than {bytes} bytes of memory, the sandbox's limit; it \
         leaks memory or holds far too much for one worker"
    )]
    MemoryLimit {
        /// The memory limit, in bytes.
        bytes: usize,
    },

    /// The plugin declares more linear memories, tables or core instances than the sandbox
    /// allows, whatever their size.
    #[error(
        "the plugin declares more than the sandbox allows (at most {memories} memories and \
         {tables} tables): {reason}",
        memories = super::sandbox::MAX_MEMORIES,
        tables = super::sandbox::MAX_TABLES
    )]
    TooManyResources {
        /// What wasmtime counted, such as "memory count too high at 5".
        reason: String,
    },

    /// The plugin's answer for one worker is too large.
    #[error(
        "the plugin's answer is {bytes} bytes, more than the {limit} bytes one answer (one \
         worker's desired state) may have"
    )]
    OutputTooLarge {
        /// Size of the answer (string bytes plus 16 per list entry).
        bytes: usize,
        /// The limit it crossed.
        limit: usize,
    },

    /// The plugin tried to use something the sandbox denies at run time.
    #[error(
        "the sandbox denies {capability}: a mapping plugin sees only the worker and the context \
         it is given"
    )]
    Denied {
        /// What it tried to use, such as "file access".
        capability: String,
    },

    /// The plugin crashed: a panic, an `unreachable`, an out-of-bounds access, an exit.
    #[error("the plugin crashed: {message}")]
    Trap {
        /// What happened, with the last words the plugin wrote to stderr, if any.
        message: String,
    },

    /// The plugin refused the worker, with its own reason.
    #[error("the plugin refused the worker: {0}")]
    Refused(MappingError),

    /// The plugin refused its configuration, with its own reason.
    #[error("the plugin refused its configuration: {0}")]
    Config(MappingError),

    /// The plugin answered something the contract does not allow.
    #[error("the plugin's answer breaks the contract: {reason}")]
    InvalidOutput {
        /// What is wrong with it.
        reason: String,
    },

    /// The compile cache directory cannot be used.
    #[error("the plugin cache directory {path} cannot be used: {reason}")]
    Cache {
        /// The directory as configured.
        path: String,
        /// Why.
        reason: String,
    },

    /// The component validates but could not be compiled for this machine.
    #[error("the plugin could not be compiled: {reason}")]
    Compile {
        /// What the compiler said.
        reason: String,
    },

    /// Precompiled machine code kept for a plugin is damaged or was made for another plugin
    /// or engine; it is never run. Compile the plugin's WebAssembly again.
    #[error("the plugin's precompiled code cannot be used: {reason}")]
    Damaged {
        /// What is wrong with it.
        reason: String,
    },

    /// Something failed in the host itself; not the plugin's fault.
    #[error("the plugin host failed: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

/// What to do about a forbidden import, for the toolchains that add one by default.
fn import_hint(import: &str) -> &'static str {
    if import.starts_with("wasi:sockets/") {
        "Remove the code that opens sockets; a Python plugin built with componentize-py imports \
         them unless built with `componentize-py componentize --stub-wasi`"
    } else if import.starts_with("wasi:http/") {
        "Remove the code that makes HTTP requests; a JavaScript plugin built with \
         componentize-js imports HTTP unless built with \
         `disableFeatures: ['http', 'fetch-event']`"
    } else {
        "Remove the code or dependency that needs it"
    }
}

impl PluginError {
    /// An internal error from anything displayable.
    pub(crate) fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal {
            reason: error.to_string(),
        }
    }
}
