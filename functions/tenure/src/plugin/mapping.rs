//! A loaded plugin: checking a configuration and mapping workers, in batches, in parallel.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::civil::Date;
use wasmtime::Store;

use super::bindings::PluginPre;
use super::bindings::tenure::mapper::types as wit;
use super::epoch::EpochTicker;
use super::fault;
use super::sandbox::{self, StoreState};
use super::{PluginError, SandboxLimits, convert};
use crate::desired::{DesiredState, Managed};
use crate::worker::Worker;

/// Workers per call into the plugin: enough to spread the cost of a fresh instance (about
/// 40 µs) to a fraction of a microsecond per worker, few enough that a batch spoiled by one bad
/// worker is cheap to redo (at worst `BATCH` × [`SandboxLimits::fuel_per_worker`] burnt).
const BATCH: usize = 128;

/// A plugin that passed every check, compiled and pre-linked: ready to run any number of
/// times, from any number of threads. Each call gets a fresh, isolated instance.
pub struct Plugin {
    pre: PluginPre<StoreState>,
    sha256: String,
    contract: String,
    limits: SandboxLimits,
    from_cache: bool,
    /// Keeps deadlines ticking while the plugin lives, even if its host is gone.
    _ticker: Arc<EpochTicker>,
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
        contract: String,
        limits: SandboxLimits,
        from_cache: bool,
        ticker: Arc<EpochTicker>,
    ) -> Self {
        Self {
            pre,
            sha256,
            contract,
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
        let (answer, _fuel) = self.call(1, |plugin, store| {
            plugin
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
    /// Workers go to the plugin in batches of 128, each batch in a fresh instance, batches
    /// spread over up to as many threads as the machine has cores. If a batch fails (a trap,
    /// fuel, deadline, memory, a denied capability), its workers are mapped again one by one,
    /// so that only the guilty worker fails and every other one still gets its result.
    pub fn map_all(&self, items: &[MapItem<'_>], domains: &[String], config: &str) -> MapOutcome {
        let domains: Vec<&str> = domains.iter().map(String::as_str).collect();
        let batches: Vec<&[MapItem<'_>]> = items.chunks(BATCH).collect();
        let mut done = self.map_batches(&batches, &domains, config);
        let mut outcome = MapOutcome {
            results: Vec::with_capacity(items.len()),
            fuel_consumed: 0,
        };
        for (batch, slot) in batches.iter().zip(&mut done) {
            match slot.take() {
                Some(mapped) => outcome.absorb(mapped),
                None => outcome.results.extend(batch.iter().map(|_| {
                    Err(PluginError::internal(
                        "a plugin thread stopped unexpectedly",
                    ))
                })),
            }
        }
        outcome
    }

    /// Maps every batch, on as many threads as there are cores (and batches). A slot stays
    /// empty only if its thread panicked.
    fn map_batches(
        &self,
        batches: &[&[MapItem<'_>]],
        domains: &[&str],
        config: &str,
    ) -> Vec<Option<MapOutcome>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, NonZeroUsize::get)
            .min(batches.len());
        if threads <= 1 {
            return batches
                .iter()
                .map(|batch| Some(self.map_batch(batch, domains, config)))
                .collect();
        }
        let next = AtomicUsize::new(0);
        let finished: Vec<(usize, MapOutcome)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(batch) = batches.get(index) else {
                                break mine;
                            };
                            mine.push((index, self.map_batch(batch, domains, config)));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|handle| handle.join().ok())
                .flatten()
                .collect()
        });
        let mut slots: Vec<Option<MapOutcome>> = Vec::new();
        slots.resize_with(batches.len(), || None);
        for (index, mapped) in finished {
            slots[index] = Some(mapped);
        }
        slots
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

    /// One call of the plugin's `map-batch` in a fresh instance.
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
        self.call(batch.len(), |plugin, store| {
            plugin
                .tenure_mapper_mapping()
                .call_map_batch(store, &items, domains, config)
        })
    }

    /// Instantiates the plugin in a fresh store sized for `workers` workers and makes one call.
    /// Gives the answer and the fuel burnt.
    fn call<R>(
        &self,
        workers: usize,
        call: impl FnOnce(&super::bindings::Plugin, &mut Store<StoreState>) -> wasmtime::Result<R>,
    ) -> (Result<R, PluginError>, u64) {
        let budget = self.limits.budget(workers);
        let mut store = match sandbox::store(self.pre.engine(), budget) {
            Ok(store) => store,
            Err(error) => return (Err(PluginError::internal(error)), 0),
        };
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|plugin| call(&plugin, &mut store));
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
