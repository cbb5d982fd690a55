//! The sandbox one call runs in: a fresh store with fuel, a deadline, a memory limit, and a
//! WASI that gives nothing away.
//!
//! The linker holds only the interfaces [`super::contract`] allows, each denying what it can:
//!
//! * `wasi:cli/environment`: no variables, no arguments, no working directory.
//! * `wasi:cli/stdin` is closed; `stdout` is discarded; `stderr` keeps its last
//!   [`STDERR_TAIL`] bytes to explain a crash (a Rust panic message lands there).
//! * `wasi:cli/exit`: ends the call; reported as a crash.
//! * `wasi:clocks/wall-clock` is fixed at 2000-01-01T00:00:00Z and `monotonic-clock` at zero:
//!   a plugin learns today's date from its context, nothing else. Timers
//!   (`subscribe-duration`, `subscribe-instant`) trap as denied, so nothing can sleep.
//! * `wasi:random/*` gives the same fixed bytes to every call, so mapping is deterministic.
//! * `wasi:filesystem/preopens#get-directories` traps as denied ("file access"): Rust's
//!   standard library and wasi-libc ask for it only when a path is first used, so a plugin
//!   that never touches a file never notices. Without a directory no `wasi:filesystem/types`
//!   function can reach anything.
//! * `wasi:io/*` works on the streams above only.
//! * `tenure:mapper/types` holds only types.

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store};
use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView as _};
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView as _};
use wasmtime_wasi::random::WasiRandom;
use wasmtime_wasi::{Deterministic, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::epoch::EpochTicker;
use super::limits::Budget;
use super::stderr::StderrTail;

/// How much of a plugin's stderr is kept.
pub(crate) const STDERR_TAIL: usize = 1024;

/// The wall clock every plugin sees: 2000-01-01T00:00:00Z.
const FIXED_WALL_CLOCK_SECONDS: u64 = 946_684_800;

/// The bytes `wasi:random` repeats, and the insecure seed.
const RANDOM_BYTES: [u8; 32] = *b"tenure-sandbox-fixed-random-seed";
const RANDOM_SEED: u128 = 0x7465_6e75_7265_2d73_616e_6462_6f78_0001;

/// Core instances one component may create; generous for any plugin toolchain, small enough
/// that a hostile one cannot use them to exhaust the host.
const MAX_INSTANCES: usize = 1_000;
/// Linear memories one instance may hold: a Rust, JavaScript or Python plugin has one, and the
/// component model's adapters share it.
pub(crate) const MAX_MEMORIES: usize = 4;
/// Tables one instance may hold: a plugin's function table and the few the component model's
/// shims add.
pub(crate) const MAX_TABLES: usize = 16;
/// Elements one table may have.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;
/// What one table element counts for against the memory limit (a function reference).
pub(crate) const TABLE_ELEMENT_BYTES: usize = 8;

/// Instances at once a pool holds for each core (a plan maps on every core)…
const POOLED_PER_CORE: u32 = 2;
/// …and beyond them (checking a configuration, mapping the first workers).
const POOLED_SPARE: u32 = 2;
/// The bytes of each pooled linear memory kept resident between instances.
const POOLED_MEMORY_RESIDENT: usize = 4 << 20;
/// The largest `VMContext` of one core instance, and of one component's together, in a pool:
/// far above what an interpreter's module needs (Python's has tens of thousands of functions).
const POOLED_CORE_INSTANCE_BYTES: usize = 16 << 20;
const POOLED_COMPONENT_INSTANCE_BYTES: usize = 64 << 20;

/// The pooling allocator's configuration for [`super::PluginHost::with_instance_pool`]. The
/// bounds an instance meets while it runs lie beyond the sandbox's own (the number of core
/// instances, memories and tables of a component, 4 GiB per memory, more than any memory
/// limit), so the store's limiter refuses first, in its words. What the pool checks when a
/// plugin is loaded is twice the sandbox's per instance (memories and tables in one core
/// module, elements of a table); only a plugin declaring more than that is refused on loading
/// rather than when it runs. The number of instances at once is the pool's own bound.
pub(crate) fn instance_pool() -> wasmtime::PoolingAllocationConfig {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let instances = u32::try_from(cores)
        .unwrap_or(u32::MAX)
        .saturating_mul(POOLED_PER_CORE)
        .saturating_add(POOLED_SPARE);
    let count = |limit: usize| u32::try_from(limit).unwrap_or(u32::MAX);
    let mut pool = wasmtime::PoolingAllocationConfig::new();
    pool.total_component_instances(instances)
        .max_component_instance_size(POOLED_COMPONENT_INSTANCE_BYTES)
        .total_core_instances(instances.saturating_mul(count(MAX_INSTANCES)))
        .max_core_instance_size(POOLED_CORE_INSTANCE_BYTES)
        .max_memories_per_module(count(MAX_MEMORIES * 2))
        .max_tables_per_module(count(MAX_TABLES * 2))
        .total_memories(instances.saturating_mul(count(MAX_MEMORIES)))
        .total_tables(instances.saturating_mul(count(MAX_TABLES)))
        .table_elements(MAX_TABLE_ELEMENTS * 2)
        .max_memory_size(1 << 32)
        .linear_memory_keep_resident(POOLED_MEMORY_RESIDENT);
    pool
}

/// Everything a store holds: the WASI context and what the sandbox learns during a call.
pub(crate) struct StoreState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
    stderr: StderrTail,
    /// What the plugin tried to use that the sandbox denies, if anything.
    denied: Option<&'static str>,
}

impl StoreState {
    /// Whether the plugin tried to grow its memory beyond the limit.
    pub(crate) fn hit_memory_limit(&self) -> bool {
        self.limiter.hit
    }

    /// What the plugin tried to use that the sandbox denies.
    pub(crate) fn denied(&self) -> Option<&'static str> {
        self.denied
    }

    /// The last words the plugin wrote to stderr.
    pub(crate) fn stderr(&self) -> String {
        self.stderr.text()
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The memory limit over every linear memory and table of the instance together (a table
/// element counts [`TABLE_ELEMENT_BYTES`]), and the counts of instances, memories and tables.
/// Remembers whether the limit was hit, so the failure can be named.
struct MemoryLimiter {
    /// The limit, in bytes.
    memory_bytes: usize,
    /// Bytes held now by all memories and tables together.
    used: usize,
    hit: bool,
}

impl MemoryLimiter {
    /// Takes `more` bytes if the total stays within the limit; else remembers the hit and
    /// traps (an instantiation fails, a `memory.grow` or `table.grow` ends the call).
    fn take(&mut self, more: usize) -> wasmtime::Result<bool> {
        match self.used.checked_add(more) {
            Some(total) if total <= self.memory_bytes => {
                self.used = total;
                Ok(true)
            }
            _ => {
                self.hit = true;
                Err(wasmtime::format_err!(
                    "the plugin's memories and tables together would exceed {} bytes",
                    self.memory_bytes
                ))
            }
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|maximum| desired > maximum) {
            return Ok(false);
        }
        self.take(desired.saturating_sub(current))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|maximum| desired > maximum) || desired > MAX_TABLE_ELEMENTS {
            self.hit = true;
            return Err(wasmtime::format_err!(
                "a table of the plugin would exceed {MAX_TABLE_ELEMENTS} elements"
            ));
        }
        self.take(
            desired
                .saturating_sub(current)
                .saturating_mul(TABLE_ELEMENT_BYTES),
        )
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

/// A fresh store for one call, with its budget.
pub(crate) fn store(engine: &Engine, budget: Budget) -> wasmtime::Result<Store<StoreState>> {
    let stderr = StderrTail::new(STDERR_TAIL);
    let state = StoreState {
        wasi: wasi_context(stderr.clone()),
        table: ResourceTable::new(),
        limiter: MemoryLimiter {
            memory_bytes: budget.memory_bytes,
            used: 0,
            hit: false,
        },
        stderr,
        denied: None,
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.limiter);
    store.set_fuel(budget.fuel)?;
    store.set_epoch_deadline(EpochTicker::ticks(budget.deadline));
    store.epoch_deadline_trap();
    Ok(store)
}

fn wasi_context(stderr: StderrTail) -> WasiCtx {
    // The builder starts with no environment, arguments, preopens or network, stdin closed and
    // stdout discarded; what remains is to fix the clocks and randomness, and keep stderr.
    let mut builder = WasiCtxBuilder::new();
    builder
        .wall_clock(FixedWallClock)
        .secure_random(Deterministic::new(RANDOM_BYTES.to_vec()))
        .insecure_random(Deterministic::new(RANDOM_BYTES.to_vec()))
        .insecure_random_seed(RANDOM_SEED)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .stderr(stderr);
    builder.build()
}

struct FixedWallClock;

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }

    fn now(&self) -> std::time::Duration {
        std::time::Duration::from_secs(FIXED_WALL_CLOCK_SECONDS)
    }
}

/// The linker every plugin of a host is pre-linked with.
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<StoreState>> {
    use wasmtime_wasi::p2::bindings::sync::{filesystem, io};
    use wasmtime_wasi::p2::bindings::{cli, clocks, random};

    let mut linker = Linker::new(engine);
    let l = &mut linker;
    io::error::add_to_linker::<StoreState, HasTable>(l, |state| &mut state.table)?;
    io::poll::add_to_linker::<StoreState, HasTable>(l, |state| &mut state.table)?;
    io::streams::add_to_linker::<StoreState, HasTable>(l, |state| &mut state.table)?;
    cli::environment::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    cli::exit::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    cli::stdin::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    cli::stdout::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    cli::stderr::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    cli::terminal_input::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    cli::terminal_output::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    cli::terminal_stdin::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    cli::terminal_stdout::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    cli::terminal_stderr::add_to_linker::<StoreState, WasiCli>(l, StoreState::cli)?;
    clocks::wall_clock::add_to_linker::<StoreState, WasiClocks>(l, StoreState::clocks)?;
    random::random::add_to_linker::<StoreState, WasiRandom>(l, |state| state.wasi.random())?;
    random::insecure::add_to_linker::<StoreState, WasiRandom>(l, |state| state.wasi.random())?;
    random::insecure_seed::add_to_linker::<StoreState, WasiRandom>(l, |state| state.wasi.random())?;
    filesystem::types::add_to_linker::<StoreState, WasiFilesystem>(l, StoreState::filesystem)?;

    let mut preopens = linker.instance(&format!("wasi:filesystem/preopens@{WASI_VERSION}"))?;
    deny(&mut preopens, "get-directories", "file access")?;

    let mut monotonic = linker.instance(&format!("wasi:clocks/monotonic-clock@{WASI_VERSION}"))?;
    monotonic.func_wrap("now", |_, (): ()| Ok((0_u64,)))?;
    monotonic.func_wrap("resolution", |_, (): ()| Ok((1_u64,)))?;
    deny(&mut monotonic, "subscribe-instant", "timers")?;
    deny(&mut monotonic, "subscribe-duration", "timers")?;

    // Types only; the contract's functions are all exports.
    linker.instance("tenure:mapper/types@1.1.0")?;
    Ok(linker)
}

/// The WASI version the sandbox's own definitions are registered at; any 0.2.x import matches.
const WASI_VERSION: &str = "0.2.0";

/// Defines `name` as a function that stops the call and records what it tried to use.
fn deny(
    instance: &mut wasmtime::component::LinkerInstance<'_, StoreState>,
    name: &str,
    capability: &'static str,
) -> wasmtime::Result<()> {
    instance.func_new(name, move |mut store, _, _, _| {
        store.data_mut().denied = Some(capability);
        Err(wasmtime::Error::msg(format!(
            "the sandbox denies {capability}"
        )))
    })
}

/// Gives `wasi:io` its resource table.
struct HasTable;

impl HasData for HasTable {
    type Data<'a> = &'a mut ResourceTable;
}
