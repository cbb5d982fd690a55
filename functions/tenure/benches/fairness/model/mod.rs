//! A discrete-event model of one Tenure deployment's provisioning: Lambda's SQS event source
//! (batch size, maximum concurrency), the FIFO work queue's message groups, the provision
//! function's runs (its deadline, slices and continuations) and Microsoft Graph's per-tenant
//! write limit. Virtual time, one seeded random source: the same inputs give the same figures,
//! and a simulated day takes seconds.
//!
//! The decisions the engine makes are the engine's own code, called here: how work becomes
//! messages and message groups (`WorkItem::split_at_most`, `WorkItem::split`,
//! `WorkItem::message_group`, `lane_among`), when a run stops and how large its slices are
//! (`Deadline::at_from`, `Pace`), what is re-queued (`remainders`), and the provision options and
//! retry policy's defaults. What the model stands in for is Lambda, SQS and Microsoft, and the
//! time each step of a run takes (the costs in [`Costs`]).
//!
//! Files: `workload` (tenants, HR events, messages), `queue` (SQS FIFO), `graph` (the write
//! limit and latencies), `run` (an invocation: its runs, slices and requests), `report` (the
//! figures).

mod graph;
pub(crate) mod queue;
mod report;
mod run;
pub(crate) mod workload;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use tenure::service::provision::ProvisionOptions;
use tenure::service::schedule::SCHEDULED_BATCH;

pub(crate) use graph::{Latency, WriteLimit};
pub(crate) use report::Report;
pub(crate) use workload::{Scenario, group_of, messages};

/// Virtual time and durations, in microseconds.
pub(crate) type Micros = u64;
/// One millisecond.
pub(crate) const MILLISECOND: Micros = 1_000;
/// One second.
pub(crate) const SECOND: Micros = 1_000_000;

/// What one deployment is configured with (the template's parameters and the engine's
/// defaults).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// SQS messages per invocation (`ProvisionBatchSize`).
    pub(crate) batch_size: usize,
    /// Invocations the queue drives at once (`ProvisionMaxConcurrency`).
    pub(crate) max_concurrency: usize,
    /// Message groups per tenant (`PER_TENANT_LANES`).
    pub(crate) lanes: u32,
    /// Workers per message of a scheduled sync (`SCHEDULED_BATCH`).
    pub(crate) workers_per_message: usize,
    /// The function's timeout (`ProvisionTimeout`); the queue's visibility timeout is six times it.
    pub(crate) timeout: Micros,
    /// Deliveries of a message before the dead-letter queue (`QueueMaxReceiveCount`).
    pub(crate) max_receives: u32,
    /// The engine's provision options: requests in flight, stop margin, retries.
    pub(crate) provision: ProvisionOptions,
    /// Microsoft's write limit per tenant.
    pub(crate) write_limit: WriteLimit,
    /// How long things take.
    pub(crate) costs: Costs,
}

impl Config {
    /// The template's defaults (`infra/template.yaml`) and the engine's.
    pub(crate) fn deployed() -> Self {
        Self {
            batch_size: 10,
            max_concurrency: 20,
            lanes: tenure::queue::PER_TENANT_LANES,
            workers_per_message: SCHEDULED_BATCH,
            timeout: 300 * SECOND,
            max_receives: 5,
            provision: ProvisionOptions::default(),
            write_limit: WriteLimit::microsoft(),
            costs: Costs::measured(),
        }
    }
}

/// The time each step of provisioning takes, besides Microsoft's answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Costs {
    /// From a batch being available to its invocation starting (the event source's poll).
    pub(crate) pickup: Micros,
    /// An invocation's start (a warm instance; cold starts measured 25 ms in-process).
    pub(crate) invoke: Micros,
    /// A run's fixed set-up: connection, settings, plugin, token, the delta read of the
    /// directory (2 Graph reads, 1 Exchange call), the intent.
    pub(crate) run_setup: Micros,
    /// Reading and writing back the directory cache, per user in it.
    pub(crate) per_directory_user: Micros,
    /// Mapping and planning, per worker of the run.
    pub(crate) per_planned_worker: Micros,
    /// A run's end: the last audit records, continuations, notices, the digest.
    pub(crate) run_end: Micros,
    /// Microsoft's answers.
    pub(crate) latency: Latency,
    /// The share of joiners whose `$batch` carries two writes (manager and license) rather than
    /// one: 2.92 writes per joiner in all, as the `onboarding` benchmark measured.
    pub(crate) two_write_share: f64,
}

impl Costs {
    /// The figures of the benchmarks (`cold_start`, `plan`, `onboarding`) and Graph's usual
    /// latencies from a nearby region: see docs/benchmarks.md.
    pub(crate) fn measured() -> Self {
        Self {
            pickup: 200 * MILLISECOND,
            invoke: 50 * MILLISECOND,
            run_setup: 1_000 * MILLISECOND,
            per_directory_user: 40,
            per_planned_worker: 15,
            run_end: 300 * MILLISECOND,
            latency: Latency::graph(),
            two_write_share: 0.92,
        }
    }
}

/// Runs `scenario` on a deployment configured as `config`.
pub(crate) fn simulate(config: &Config, scenario: &Scenario) -> Report {
    let mut sim = run::Deployment::new(config.clone(), scenario);
    for event in workload::events(scenario) {
        sim.schedule(event.at, Event::Hr(Box::new(event)));
    }
    if let Some(times) = scenario.working_day.checked_div(scenario.reconcile_every) {
        for k in 1..=times {
            sim.schedule(k * scenario.reconcile_every, Event::Reconcile);
        }
    }
    sim.run_to_end();
    sim.report()
}

/// Something that happens at a moment of virtual time.
#[derive(Debug)]
pub(crate) enum Event {
    /// An HR event reaches the queue.
    Hr(Box<workload::HrEvent>),
    /// The event source looks for batches to hand out.
    Poll,
    /// An invocation's next step is due (its set-up, a run's end...).
    Step(usize),
    /// Microsoft answers a request of an invocation's slice.
    Answer(run::Answer),
    /// A throttled request's `Retry-After` is over.
    Retry(run::TaskRef),
    /// An invocation reaches its timeout.
    Timeout(usize),
    /// Messages of a killed or failed invocation become visible again.
    Reappear(Vec<queue::MessageId>),
    /// The scheduled sync of every tenant.
    Reconcile,
}

/// The pending events, earliest first (ties in the order scheduled).
#[derive(Debug, Default)]
pub(crate) struct Agenda {
    heap: BinaryHeap<Reverse<(Micros, u64)>>,
    events: HashMap<u64, Event>,
    next: u64,
}

impl Agenda {
    fn push(&mut self, at: Micros, event: Event) {
        self.heap.push(Reverse((at, self.next)));
        self.events.insert(self.next, event);
        self.next += 1;
    }

    fn pop(&mut self) -> Option<(Micros, Event)> {
        let Reverse((at, id)) = self.heap.pop()?;
        Some((at, self.events.remove(&id)?))
    }
}

/// `micros` as a [`Duration`].
pub(crate) fn duration(micros: Micros) -> Duration {
    Duration::from_micros(micros)
}
