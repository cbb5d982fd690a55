//! A loaded plugin: checking a configuration and mapping workers, in batches, in parallel.

use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use jiff::civil::Date;
use wasmtime::Store;
use wasmtime::component::ComponentExportIndex;

use super::bindings::PluginPre;
use super::bindings::tenure::mapper::types as wit;
use super::epoch::EpochTicker;
use super::fault;
use super::sandbox::{self, StoreState};
use super::{PluginError, SandboxLimits, convert, json_batch};
use crate::desired::{DesiredState, Managed};
use crate::interned;
use crate::worker::Worker;

/// Workers per call into the plugin: enough to spread the cost of a fresh instance (about
/// 40 µs, and the first touch of its stack and heap pages) to a fraction of a microsecond per
/// worker, few enough that a batch spoiled by one bad worker is cheap to redo (at worst `BATCH`
/// × [`SandboxLimits::fuel_per_worker`] burnt) and that an interpreter's heap for the whole
/// batch stays far below the memory limit. 512 rather than 128 cut the standard mapper's share of
/// a 100,000-worker plan by about a tenth (docs/benchmarks.md).
const BATCH: usize = 512;

/// A plugin that passed every check, compiled and pre-linked: ready to run any number of
/// times, from any number of threads. Each call gets a fresh, isolated instance.
pub struct Plugin {
    pre: PluginPre<StoreState>,
    sha256: String,
    contract: String,
    /// `mapping-json.map-batch-json`, when the plugin exports it (contract 1.1).
    map_batch_json: Option<ComponentExportIndex>,
    batch_call: BatchCall,
    limits: SandboxLimits,
    from_cache: bool,
    /// Keeps deadlines ticking while the plugin lives, even if its host is gone.
    _ticker: Arc<EpochTicker>,
}

/// Which function of the plugin maps its batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchCall {
    /// `mapping.map-batch`: the workers and answers as the contract's records, lifted and
    /// lowered field by field (every plugin exports it).
    Typed,
    /// `mapping-json.map-batch-json` (contract 1.1): the workers as one JSON text, the answers
    /// as another, read back strictly into the same records, then checked as the typed answers
    /// are. Tenure uses it whenever a plugin exports it.
    Json,
}

/// One worker to map: the record, today's date in the worker's time zone, and whether the
/// worker already has a directory account (then the plugin need not make identity candidates).
#[derive(Debug, Clone, Copy)]
pub struct MapItem<'a> {
    /// The HR record.
    pub worker: &'a Worker,
    /// Today in the worker's time zone.
    pub today: Date,
    /// Whether a directory user already carries the worker's employee id.
    pub has_account: bool,
}

/// What [`Plugin::map_all`] gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapOutcome {
    /// One result per worker, in the order given.
    pub results: Vec<Result<DesiredState, PluginError>>,
    /// Fuel burnt in all, including calls redone to find a bad worker. Deterministic for the
    /// same plugin, workers, configuration and limits.
    pub fuel_consumed: u64,
}

impl MapOutcome {
    fn absorb(&mut self, more: MapOutcome) {
        self.results.extend(more.results);
        self.fuel_consumed = self.fuel_consumed.saturating_add(more.fuel_consumed);
    }
}

/// The answers of one call, as the plugin gave them.
type Answers = Vec<Result<wit::DesiredState, wit::MappingError>>;

impl Plugin {
    pub(crate) fn new(
        pre: PluginPre<StoreState>,
        sha256: String,
        (contract, map_batch_json): (String, Option<ComponentExportIndex>),
        limits: SandboxLimits,
        from_cache: bool,
        ticker: Arc<EpochTicker>,
    ) -> Self {
        Self {
            pre,
            sha256,
            contract,
            batch_call: if map_batch_json.is_some() {
                BatchCall::Json
            } else {
                BatchCall::Typed
            },
            map_batch_json,
            limits,
            from_cache,
            _ticker: ticker,
        }
    }

    /// The SHA-256 of the plugin's WebAssembly, in lower-case hex: its identity and version.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The contract it exports, with the version it was built for:
    /// `tenure:mapper/mapping@1.0.0`.
    pub fn contract(&self) -> &str {
        &self.contract
    }

    /// Which function maps its batches: [`BatchCall::Json`] when it exports
    /// `mapping-json.map-batch-json` (contract 1.1), else [`BatchCall::Typed`].
    pub fn batch_call(&self) -> BatchCall {
        self.batch_call
    }

    /// The same plugin mapping its batches through the typed `map-batch` even when it exports
    /// the JSON call: both must give the same answers, and this is how to compare them.
    pub fn typed_batches(mut self) -> Self {
        self.batch_call = BatchCall::Typed;
        self
    }

    /// Whether its machine code came from the compile cache rather than being compiled by
    /// this load.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    /// Asks the plugin to check a configuration and say what it manages.
    pub fn validate_config(
        &self,
        config: &str,
        domains: &[String],
    ) -> Result<Managed, PluginError> {
        let domains: Vec<&str> = domains.iter().map(String::as_str).collect();
        let (answer, _fuel) = self.call(1, |store| {
            self.pre
                .instantiate(&mut *store)?
                .tenure_mapper_mapping()
                .call_validate_config(store, config, &domains)
        });
        match answer? {
            Ok(managed) => {
                let bytes = convert::managed_size(&managed);
                self.check_size(bytes)?;
                Ok(convert::managed(managed))
            }
            Err(error) => {
                self.check_size(convert::mapping_error_size(&error))?;
                Err(PluginError::Config(convert::mapping_error(error)))
            }
        }
    }

    /// Maps many workers; one result per item, in order.
    ///
    /// Workers go to the plugin in batches of 512, each batch in a fresh instance, batches
    /// spread over up to as many threads as the machine has cores. If a batch fails (a trap,
    /// fuel, deadline, memory, a denied capability), its workers are mapped again one by one,
    /// so that only the guilty worker fails and every other one still gets its result.
    pub fn map_all(&self, items: &[MapItem<'_>], domains: &[String], config: &str) -> MapOutcome {
        let mut slots: Vec<Option<MapOutcome>> = Vec::new();
        slots.resize_with(items.len().div_ceil(BATCH), || None);
        let slots = Mutex::new(slots);
        self.map_each(items, domains, config, &|start, mapped| {
            slots.lock().unwrap_or_else(PoisonError::into_inner)[start / BATCH] = Some(mapped);
        });
        let mut outcome = MapOutcome {
            results: Vec::with_capacity(items.len()),
            fuel_consumed: 0,
        };
        for mapped in slots.into_inner().unwrap_or_else(PoisonError::into_inner) {
            outcome.absorb(mapped.expect("every batch is delivered"));
        }
        outcome
    }

    /// Maps many workers as [`Self::map_all`] does, but gives each batch's outcome to `deliver`
    /// as soon as it is mapped, with the position in `items` of the batch's first worker: from
    /// whichever thread mapped it, batches in no particular order, each once. A caller can so
    /// be done with each answer before the last is made.
    ///
    /// If a thread stops while mapping (a bug of the host, not of the plugin), the batch it was
    /// mapping is delivered with every worker failed; a panic in `deliver` is raised here.
    pub fn map_each(
        &self,
        items: &[MapItem<'_>],
        domains: &[String],
        config: &str,
        deliver: &(dyn Fn(usize, MapOutcome) + Sync),
    ) {
        self.map_each_beside(items, domains, config, deliver, || {});
    }

    /// [`Self::map_each`], with `beside` run first on one of the mapping threads (which then
    /// maps too): work to be done while the plugin maps gets a core without one more thread
    /// competing for the cores. `beside` runs even when there is nothing to map; a panic in
    /// it is raised here once the mapping is done.
    pub fn map_each_beside(
        &self,
        items: &[MapItem<'_>],
        domains: &[String],
        config: &str,
        deliver: &(dyn Fn(usize, MapOutcome) + Sync),
        beside: impl FnOnce() + Send,
    ) {
        let domains: Vec<&str> = domains.iter().map(String::as_str).collect();
        let batches: Vec<&[MapItem<'_>]> = items.chunks(BATCH).collect();
        // 0: not mapped yet; 1: mapped, being delivered; 2: delivered.
        let state: Vec<AtomicU8> = batches.iter().map(|_| AtomicU8::new(0)).collect();
        let next = AtomicUsize::new(0);
        let beside = Mutex::new(Some(beside));
        // The first thread runs `beside`, then every thread maps; each keeps the values its
        // answers share once (see `interned`). Gives the panic of `beside`, if it panicked.
        let run = || {
            let job = beside.lock().unwrap_or_else(PoisonError::into_inner).take();
            let failed = job.and_then(|job| std::panic::catch_unwind(AssertUnwindSafe(job)).err());
            interned::sharing(|| {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = batches.get(at) else {
                        break;
                    };
                    let mapped = self.map_batch(batch, &domains, config);
                    state[at].store(1, Ordering::Relaxed);
                    deliver(at * BATCH, mapped);
                    state[at].store(2, Ordering::Relaxed);
                }
            });
            failed
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, NonZeroUsize::get)
            .min(batches.len());
        if threads <= 1 {
            if let Some(panic) = run() {
                std::panic::resume_unwind(panic);
            }
            return;
        }
        // This thread maps too: the memory it has freed (reading the inputs) is reused first.
        let joined: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (1..threads).map(|_| scope.spawn(run)).collect();
            let mine = std::panic::catch_unwind(AssertUnwindSafe(run));
            let others = handles.into_iter().map(|handle| handle.join());
            std::iter::once(mine).chain(others).collect()
        });
        let mut beside_failed = None;
        let mut stopped = None;
        for result in joined {
            match result {
                Ok(failed) => beside_failed = beside_failed.or(failed),
                Err(panic) => stopped = stopped.or(Some(panic)),
            }
        }
        if let Some(panic) = stopped
            && state.iter().any(|s| s.load(Ordering::Relaxed) == 1)
        {
            std::panic::resume_unwind(panic);
        }
        for (at, batch) in batches.iter().enumerate() {
            if state[at].load(Ordering::Relaxed) == 0 {
                let results = batch
                    .iter()
                    .map(|_| {
                        Err(PluginError::internal(
                            "a plugin thread stopped unexpectedly",
                        ))
                    })
                    .collect();
                deliver(
                    at * BATCH,
                    MapOutcome {
                        results,
                        fuel_consumed: 0,
                    },
                );
            }
        }
        if let Some(panic) = beside_failed {
            std::panic::resume_unwind(panic);
        }
    }

    /// Maps one batch, redoing it worker by worker if the batch as a whole fails.
    fn map_batch(&self, batch: &[MapItem<'_>], domains: &[&str], config: &str) -> MapOutcome {
        let (answers, fuel_consumed) = self.call_map_batch(batch, domains, config);
        let results = match answers {
            Ok(answers) if answers.len() == batch.len() => answers
                .into_iter()
                .map(|answer| self.take(answer))
                .collect(),
            Ok(answers) if batch.len() == 1 => {
                let reason = format!("it gave {} answers for 1 worker", answers.len());
                vec![Err(PluginError::InvalidOutput { reason })]
            }
            Err(error) if batch.len() == 1 => vec![Err(error)],
            // The batch failed, or gave the wrong number of answers: find out which worker
            // is to blame by mapping each alone.
            Ok(_) | Err(_) => {
                let mut outcome = MapOutcome {
                    results: Vec::with_capacity(batch.len()),
                    fuel_consumed,
                };
                for one in batch.chunks(1) {
                    outcome.absorb(self.map_batch(one, domains, config));
                }
                return outcome;
            }
        };
        MapOutcome {
            results,
            fuel_consumed,
        }
    }

    /// One call of the plugin's `map-batch`, or of `map-batch-json` when it has that and it is
    /// chosen, in a fresh instance.
    fn call_map_batch(
        &self,
        batch: &[MapItem<'_>],
        domains: &[&str],
        config: &str,
    ) -> (Result<Answers, PluginError>, u64) {
        let custom: Vec<Vec<(&str, &str)>> = batch
            .iter()
            .map(|item| convert::custom_columns(item.worker))
            .collect();
        let items: Vec<wit::BatchItem<'_>> = batch
            .iter()
            .zip(&custom)
            .map(|(item, custom)| convert::batch_item(item, custom))
            .collect();
        match (self.batch_call, &self.map_batch_json) {
            (BatchCall::Json, Some(function)) => {
                self.call_map_batch_json(batch, &items, function, (domains, config))
            }
            _ => self.call(batch.len(), |store| {
                self.pre
                    .instantiate(&mut *store)?
                    .tenure_mapper_mapping()
                    .call_map_batch(store, &items, domains, config)
            }),
        }
    }

    /// One call of `map-batch-json`: the items written as JSON, the answer's text measured
    /// against the output limit (twice [`SandboxLimits::output_bytes`] per worker: JSON's own
    /// syntax comes on top of what the limit counts), then read strictly.
    fn call_map_batch_json(
        &self,
        batch: &[MapItem<'_>],
        items: &[wit::BatchItem<'_>],
        function: &ComponentExportIndex,
        (domains, config): (&[&str], &str),
    ) -> (Result<Answers, PluginError>, u64) {
        let json = match json_batch::items(items) {
            Ok(json) => json,
            Err(error) => return (Err(PluginError::internal(error)), 0),
        };
        let (text, fuel) = self.call(batch.len(), |store| {
            let instance = self.pre.instance_pre().instantiate(&mut *store)?;
            let map_batch_json = instance
                .get_typed_func::<(&str, &[&str], &str), (Vec<u8>,)>(&mut *store, function)?;
            let (text,) = map_batch_json.call(&mut *store, (&json, domains, config))?;
            Ok(text)
        });
        let answers = text.and_then(|text| {
            let limit = self
                .limits
                .output_bytes
                .saturating_mul(2)
                .saturating_mul(batch.len().max(1));
            if text.len() > limit {
                return Err(PluginError::OutputTooLarge {
                    bytes: text.len(),
                    limit,
                });
            }
            json_batch::answers(&text).map_err(|error| {
                let worker = error
                    .index
                    .and_then(|index| batch.get(index))
                    .map(|item| format!(" for employee {}", item.worker.employee_id.as_str()))
                    .unwrap_or_default();
                let at = if error.field.is_empty() {
                    String::new()
                } else {
                    format!(" at `{}`", error.field)
                };
                PluginError::InvalidOutput {
                    reason: format!(
                        "its JSON answer{worker} is not what map-batch-json must give{at}: {}",
                        error.message
                    ),
                }
            })
        });
        (answers, fuel)
    }

    /// Makes one call (which instantiates the plugin) in a fresh store sized for `workers` workers.
    /// Gives the answer and the fuel burnt.
    fn call<R>(
        &self,
        workers: usize,
        call: impl FnOnce(&mut Store<StoreState>) -> wasmtime::Result<R>,
    ) -> (Result<R, PluginError>, u64) {
        let budget = self.limits.budget(workers);
        let mut store = match sandbox::store(self.pre.engine(), budget) {
            Ok(store) => store,
            Err(error) => return (Err(PluginError::internal(error)), 0),
        };
        let result = call(&mut store);
        let fuel = budget.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        (
            result.map_err(|error| fault::classify(&error, store.data(), budget)),
            fuel,
        )
    }

    /// Checks one answer's size and takes it.
    fn take(
        &self,
        answer: Result<wit::DesiredState, wit::MappingError>,
    ) -> Result<DesiredState, PluginError> {
        match answer {
            Ok(state) => {
                self.check_size(convert::desired_state_size(&state))?;
                convert::desired_state(state)
            }
            Err(error) => {
                self.check_size(convert::mapping_error_size(&error))?;
                Err(PluginError::Refused(convert::mapping_error(error)))
            }
        }
    }

    fn check_size(&self, bytes: usize) -> Result<(), PluginError> {
        let limit = self.limits.output_bytes;
        if bytes > limit {
            Err(PluginError::OutputTooLarge { bytes, limit })
        } else {
            Ok(())
        }
    }
}
