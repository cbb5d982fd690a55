//! The sandbox's limits: named, documented, and the same for every plugin a host loads.

use std::time::Duration;

/// What a plugin may use. Crossing a limit fails only the worker (or the upload) that crossed
/// it, with an error that names the limit; the host and every other worker go on.
///
/// The defaults suit the standard mapper and ordinary Rust, JavaScript and Python plugins with
/// a wide margin; they are what [`SandboxLimits::default`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxLimits {
    /// Fuel one worker may burn: about one unit per WebAssembly instruction executed.
    /// Deterministic: the same plugin, worker and configuration always burn the same fuel, so
    /// a worker that runs out does so on every machine. A call that maps a batch of `n`
    /// workers gets `n` times this, and one that checks a configuration gets it once.
    ///
    /// Default: 20,000,000 (some milliseconds of computing; the standard mapper burns about
    /// 65,000 per worker, the reference plugins of `plugins/examples` about 491,000 in Python
    /// and 522,000 in JavaScript through the JSON batch call, 2,581,000 through the typed call).
    pub fuel_per_worker: u64,
    /// Wall-clock time one worker may take, a backstop behind fuel for whatever fuel does not
    /// count. A call that maps a batch of `n` workers may take `n` times this. Measured in
    /// ticks of a background clock (every 10 ms), so it is enforced to within one tick.
    ///
    /// Default: 1 second.
    pub epoch_deadline: Duration,
    /// Memory one plugin instance may hold, in bytes: all its linear memories and tables
    /// together (a table element counts 8 bytes). An instance may have at most 4 memories
    /// and 16 tables at all. Each batch of workers gets a fresh instance, so memory is never
    /// shared between batches or customers.
    ///
    /// Default: 128 MiB.
    pub memory_bytes: usize,
    /// The largest desired state (or configuration summary) one worker may produce, counted as
    /// the bytes of all its strings plus 16 bytes for every list entry.
    ///
    /// Default: 256 KiB (an ordinary desired state is well under 4 KiB).
    pub output_bytes: usize,
    /// The largest plugin upload, in bytes of WebAssembly.
    ///
    /// Default: 64 MiB (a Rust plugin is about 100 KiB to 1 MiB, a JavaScript one about
    /// 10 MiB, a Python one about 40 MiB).
    pub max_wasm_bytes: usize,
}

impl SandboxLimits {
    /// What one call for `workers` workers is given (a configuration check counts as one).
    pub(crate) fn budget(&self, workers: usize) -> Budget {
        let workers = workers.max(1);
        Budget {
            fuel: self.fuel_per_worker.saturating_mul(workers as u64),
            deadline: self
                .epoch_deadline
                .saturating_mul(u32::try_from(workers).unwrap_or(u32::MAX)),
            memory_bytes: self.memory_bytes,
        }
    }
}

/// What one call into a plugin is given; a failed call is told which of these it crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Fuel.
    pub(crate) fuel: u64,
    /// Wall-clock time.
    pub(crate) deadline: Duration,
    /// Linear memory, in bytes.
    pub(crate) memory_bytes: usize,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self {
            fuel_per_worker: 20_000_000,
            epoch_deadline: Duration::from_secs(1),
            memory_bytes: 128 << 20,
            output_bytes: 256 << 10,
            max_wasm_bytes: 64 << 20,
        }
    }
}
