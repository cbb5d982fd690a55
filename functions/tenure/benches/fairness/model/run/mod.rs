//! The deployment in virtual time: the event source handing batches to invocations, and each
//! invocation as `handle_sqs` runs it — its messages grouped by connection in the order
//! received, each group one run (set-up, plan, slices paced by the engine's `Pace` until the
//! deadline's stop time, then its remainders re-queued as continuations with the engine's
//! `remainders`; a slice that Microsoft asked to wait past the stop time ends the run early),
//! a group reached after the stop time re-queued whole, a run with a failed
//! action left to come back after the visibility timeout, an invocation past its timeout
//! killed. A run's slices and their requests: `slice`.

mod slice;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use tenure::queue::WorkItem;
use tenure::service::provision::{Deadline, Pace, remainders};

use super::graph::Throttle;
use super::queue::{Fifo, MessageId};
use super::report::Report;
use super::workload::{HrEvent, Scenario, staff};
use super::{Agenda, Config, Event, Micros, SECOND, duration, group_of, messages};
pub(crate) use slice::{Answer, TaskRef};
use slice::{Phase, Slice};

/// The longest virtual time simulated: a run that has not settled by then is reported as such.
const HORIZON: Micros = 7 * 24 * 3_600 * SECOND;

/// One tenant: its write window, its directory's size, its workers, and its own random draws
/// (so that one tenant's requests do not change another's latencies between two runs).
#[derive(Debug)]
pub(crate) struct Tenant {
    throttle: Throttle,
    rng: fastrand::Rng,
    pub(crate) directory: usize,
    pub(crate) workers: HashMap<String, WorkerState>,
    /// Writes Microsoft took from Tenure for this tenant.
    pub(crate) writes: u64,
}

/// What became of one worker.
#[derive(Debug, Default)]
pub(crate) struct WorkerState {
    /// When its HR event reached the queue.
    pub(crate) queued_at: Micros,
    /// When its account was made.
    pub(crate) created_at: Option<Micros>,
    /// When its last action (manager and license) was done.
    pub(crate) done_at: Option<Micros>,
    /// Accounts made for it (exactly one when all is well).
    pub(crate) creates: u32,
    /// Writes of its `$batch`.
    rest_writes: u32,
    /// One of a trickle tenant's staff, with an account before the day (not a hire).
    pub(crate) staff: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Starting,
    SettingUp,
    Looking,
    Applying,
    Ending,
}

#[derive(Debug)]
struct Run {
    tenant: usize,
    messages: Vec<MessageId>,
    working: Vec<String>,
    next: usize,
    pace: Pace,
    slice: Option<Slice>,
    failed: bool,
    /// The workers of a slice that stopped for a wait past the stop time and were not done.
    postponed: Vec<String>,
    continuations: Vec<tenure::queue::WorkItem>,
}

#[derive(Debug)]
struct Invocation {
    started: Micros,
    messages: Vec<MessageId>,
    runs: Vec<(usize, Vec<MessageId>)>,
    next_run: usize,
    run: Option<Run>,
    stop: Deadline,
    stage: Stage,
    retry: Vec<MessageId>,
    over: bool,
}

/// The deployment and everything in flight.
#[derive(Debug)]
pub(crate) struct Deployment {
    pub(crate) config: Config,
    now: Micros,
    agenda: Agenda,
    base: Instant,
    queue: Fifo,
    pub(crate) tenants: Vec<Tenant>,
    /// Whether the tenants are reconciled on a schedule.
    reconciles: bool,
    /// Each tenant's HR export as its scheduled sync queues it (empty without reconciles).
    exports: Vec<Vec<(Arc<WorkItem>, String)>>,
    /// The first tenants, which onboard.
    pub(crate) onboarding: usize,
    invocations: Vec<Invocation>,
    running: usize,
    poll_due: bool,
    serial: u64,
    pub(crate) counts: Counts,
}

/// What the deployment did.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counts {
    pub(crate) invocations: usize,
    pub(crate) onboarding_invocations: usize,
    pub(crate) peak_concurrency: usize,
    /// Invocation time in all (what Lambda bills), in microseconds.
    pub(crate) busy: Micros,
    pub(crate) throttled: usize,
    pub(crate) failed_runs: usize,
    pub(crate) killed: usize,
    /// Requests given up rather than waited for: Microsoft's wait ended past the stop time.
    pub(crate) postponed: usize,
    pub(crate) continuations: usize,
    pub(crate) deferred: usize,
    pub(crate) end: Micros,
}

impl Deployment {
    pub(crate) fn new(config: Config, scenario: &Scenario) -> Self {
        let onboarding = scenario.onboarding_tenants();
        let tenants: Vec<Tenant> = (0..onboarding + scenario.trickle_tenants)
            .map(|t| Tenant {
                throttle: Throttle::default(),
                rng: fastrand::Rng::with_seed(
                    scenario.seed ^ (t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                ),
                directory: if t < onboarding {
                    0
                } else {
                    scenario.trickle_directory
                },
                workers: HashMap::new(),
                writes: 0,
            })
            .collect();
        let mut deployment = Self {
            reconciles: scenario.reconcile_every > 0,
            config,
            now: 0,
            agenda: Agenda::default(),
            base: Instant::now(),
            queue: Fifo::default(),
            exports: vec![Vec::new(); tenants.len()],
            tenants,
            onboarding,
            invocations: Vec::new(),
            running: 0,
            poll_due: false,
            serial: 0,
            counts: Counts::default(),
        };
        if deployment.reconciles {
            deployment.hire_staff(scenario.trickle_directory);
        }
        deployment
    }

    pub(crate) fn schedule(&mut self, at: Micros, event: Event) {
        self.agenda.push(at, event);
    }

    pub(crate) fn run_to_end(&mut self) {
        while let Some((at, event)) = self.agenda.pop() {
            if at > HORIZON {
                break;
            }
            self.now = at;
            match event {
                Event::Hr(hr) => self.arrive(*hr),
                Event::Poll => self.poll(),
                Event::Step(i) => self.step(i),
                Event::Answer(answer) => self.answer(answer),
                Event::Retry(task) => self.retry(task),
                Event::Timeout(i) => self.timeout(i),
                Event::Reconcile => self.reconcile(),
                Event::Reappear(ids) => {
                    self.queue.reappear(&ids, self.config.max_receives);
                    self.wake();
                }
            }
        }
        self.counts.end = self.now;
    }

    pub(crate) fn report(&self) -> Report {
        Report::of(self, self.queue.dead_letters, self.queue.len())
    }

    fn arrive(&mut self, event: HrEvent) {
        for sourced in &event.workers {
            let rest_writes =
                if self.tenants[event.tenant].rng.f64() < self.config.costs.two_write_share {
                    2
                } else {
                    1
                };
            self.tenants[event.tenant].workers.insert(
                sourced.worker.employee_id.as_str().to_owned(),
                WorkerState {
                    queued_at: self.now,
                    rest_writes,
                    ..WorkerState::default()
                },
            );
        }
        for (item, group) in messages(&event, self.config.lanes, self.config.workers_per_message) {
            let item = Arc::new(item);
            if event.scheduled && self.reconciles {
                self.exports[event.tenant].push((Arc::clone(&item), group.clone()));
            }
            self.queue.send(item, group, self.now);
        }
        self.wake();
    }

    /// The scheduled sync of every tenant: each export queued again (a trickle tenant's staff;
    /// an onboarding tenant's whole company).
    fn reconcile(&mut self) {
        for t in 0..self.tenants.len() {
            for (item, group) in self.exports[t].clone() {
                self.queue.send(item, group, self.now);
            }
        }
        self.wake();
    }

    /// Puts each trickle tenant's staff in its directory and keeps their export.
    fn hire_staff(&mut self, directory: usize) {
        for t in self.onboarding..self.tenants.len() {
            let event = staff(t, directory);
            for sourced in &event.workers {
                self.tenants[t].workers.insert(
                    sourced.worker.employee_id.as_str().to_owned(),
                    WorkerState {
                        created_at: Some(0),
                        done_at: Some(0),
                        creates: 1,
                        staff: true,
                        ..WorkerState::default()
                    },
                );
            }
            self.exports[t] = messages(&event, self.config.lanes, self.config.workers_per_message)
                .into_iter()
                .map(|(item, group)| (Arc::new(item), group))
                .collect();
        }
    }

    /// Makes the event source look for work soon.
    fn wake(&mut self) {
        if !self.poll_due {
            self.poll_due = true;
            self.schedule(self.now + self.config.costs.pickup, Event::Poll);
        }
    }

    fn poll(&mut self) {
        self.poll_due = false;
        while self.running < self.config.max_concurrency {
            let batch = self.queue.receive(self.config.batch_size);
            if batch.is_empty() {
                break;
            }
            self.invoke(batch);
        }
    }

    fn instant(&self, at: Micros) -> Instant {
        self.base + duration(at)
    }

    fn invoke(&mut self, batch: Vec<MessageId>) {
        // `handle_sqs`: by connection, in the order received.
        let mut runs: Vec<(usize, Vec<MessageId>)> = Vec::new();
        for &id in &batch {
            let tenant = tenant_of(&self.queue.message(id).item.connection_id.to_string());
            match runs.iter_mut().find(|(t, _)| *t == tenant) {
                Some((_, ids)) => ids.push(id),
                None => runs.push((tenant, vec![id])),
            }
        }
        let i = self.invocations.len();
        let stop = Deadline::at_from(
            self.instant(self.now),
            self.instant(self.now + self.config.timeout),
            self.config.provision.stop_margin,
        );
        self.counts.invocations += 1;
        if runs.iter().any(|(t, _)| *t < self.onboarding) {
            self.counts.onboarding_invocations += 1;
        }
        self.invocations.push(Invocation {
            started: self.now,
            messages: batch,
            runs,
            next_run: 0,
            run: None,
            stop,
            stage: Stage::Starting,
            retry: Vec::new(),
            over: false,
        });
        self.running += 1;
        self.counts.peak_concurrency = self.counts.peak_concurrency.max(self.running);
        self.schedule(self.now + self.config.costs.invoke, Event::Step(i));
        self.schedule(self.now + self.config.timeout, Event::Timeout(i));
    }

    fn step(&mut self, i: usize) {
        if self.invocations[i].over {
            return;
        }
        match self.invocations[i].stage {
            Stage::Starting => self.next_run(i),
            Stage::SettingUp => self.plan(i),
            Stage::Looking => self.phase(i, Phase::Create),
            Stage::Applying => {}
            Stage::Ending => {
                let run = self.invocations[i].run.take();
                if let Some(run) = run {
                    for item in run.continuations {
                        let group = group_of(&item, self.config.lanes);
                        self.queue.send(Arc::new(item), group, self.now);
                        self.counts.continuations += 1;
                    }
                    self.wake();
                }
                self.invocations[i].next_run += 1;
                self.next_run(i);
            }
        }
    }

    /// The invocation's next group of messages: set up its run, or re-queue it whole when the
    /// stop time has passed (`handle_sqs`'s `defer`); the invocation ends after the last.
    fn next_run(&mut self, i: usize) {
        let inv = &self.invocations[i];
        let Some((tenant, ids)) = inv.runs.get(inv.next_run).cloned() else {
            return self.finish(i);
        };
        let past_stop = inv
            .stop
            .stop_at()
            .is_some_and(|stop| self.instant(self.now) >= stop);
        if past_stop {
            let items: Vec<_> = ids
                .iter()
                .map(|&m| WorkItem::clone(&self.queue.message(m).item))
                .collect();
            let everyone: HashSet<String> = items
                .iter()
                .flat_map(|item| &item.workers)
                .map(|w| w.worker.employee_id.as_str().to_owned())
                .collect();
            self.counts.deferred += items.len();
            let continuations = remainders(&items, &everyone)
                .into_iter()
                .flatten()
                .collect();
            self.invocations[i].run = Some(self.new_run(i, tenant, ids, continuations));
            self.invocations[i].stage = Stage::Ending;
            return self.step(i);
        }
        let workers: usize = ids
            .iter()
            .map(|&m| self.queue.message(m).item.workers.len())
            .sum();
        let costs = self.config.costs;
        let setup = costs.run_setup
            + self.tenants[tenant].directory as Micros * costs.per_directory_user
            + workers as Micros * costs.per_planned_worker;
        self.invocations[i].run = Some(self.new_run(i, tenant, ids, Vec::new()));
        self.invocations[i].stage = Stage::SettingUp;
        self.schedule(self.now + setup, Event::Step(i));
    }

    fn new_run(
        &self,
        i: usize,
        tenant: usize,
        messages: Vec<MessageId>,
        continuations: Vec<tenure::queue::WorkItem>,
    ) -> Run {
        Run {
            tenant,
            messages,
            working: Vec::new(),
            next: 0,
            pace: Pace::new(self.invocations[i].stop, self.config.provision.concurrency),
            slice: None,
            failed: false,
            postponed: Vec::new(),
            continuations,
        }
    }

    /// The run's plan: its workers (each once, in order) that still have something to do.
    fn plan(&mut self, i: usize) {
        let Some(run) = self.invocations[i].run.as_mut() else {
            return;
        };
        let tenant = &self.tenants[run.tenant];
        let mut seen = HashSet::new();
        for &m in &run.messages {
            for queued in &self.queue.message(m).item.workers {
                let id = queued.worker.employee_id.as_str();
                let pending = tenant.workers.get(id).is_some_and(|w| w.done_at.is_none());
                if pending && seen.insert(id.to_owned()) {
                    run.working.push(id.to_owned());
                }
            }
        }
        self.next_slice(i);
    }

    /// The run is over: a failed one leaves its messages to come back; otherwise what it did not
    /// start is re-queued (`remainders`) once the run's end is written.
    fn end_run(&mut self, i: usize) {
        let inv = &mut self.invocations[i];
        let Some(run) = inv.run.as_mut() else {
            return;
        };
        if run.failed {
            self.counts.failed_runs += 1;
            inv.retry.extend(run.messages.iter().copied());
        } else {
            let unfinished: HashSet<String> = run.working[run.next..]
                .iter()
                .chain(&run.postponed)
                .cloned()
                .collect();
            if !unfinished.is_empty() {
                let items: Vec<_> = run
                    .messages
                    .iter()
                    .map(|&m| WorkItem::clone(&self.queue.message(m).item))
                    .collect();
                run.continuations = remainders(&items, &unfinished)
                    .into_iter()
                    .flatten()
                    .collect();
            }
        }
        inv.stage = Stage::Ending;
        self.schedule(self.now + self.config.costs.run_end, Event::Step(i));
    }

    /// The invocation returns: its messages are deleted but those of failed runs, which come
    /// back after the visibility timeout.
    fn finish(&mut self, i: usize) {
        let inv = &mut self.invocations[i];
        inv.over = true;
        let retry: HashSet<MessageId> = inv.retry.iter().copied().collect();
        let done: Vec<MessageId> = inv
            .messages
            .iter()
            .copied()
            .filter(|m| !retry.contains(m))
            .collect();
        let started = inv.started;
        let retry: Vec<MessageId> = inv.retry.clone();
        self.queue.delete(&done);
        if !retry.is_empty() {
            let at = started + self.visibility();
            self.schedule(at.max(self.now), Event::Reappear(retry));
        }
        self.counts.busy += self.now - started;
        self.running -= 1;
        self.wake();
    }

    /// Lambda ends an invocation at its timeout: nothing of its batch is deleted; the messages
    /// come back after the visibility timeout.
    fn timeout(&mut self, i: usize) {
        let inv = &mut self.invocations[i];
        if inv.over {
            return;
        }
        inv.over = true;
        self.counts.killed += 1;
        self.counts.busy += self.config.timeout;
        let ids = inv.messages.clone();
        let at = inv.started + self.visibility();
        self.running -= 1;
        self.schedule(at, Event::Reappear(ids));
        self.wake();
    }

    /// The work queue's visibility timeout: six times the function's (the template's mapping).
    fn visibility(&self) -> Micros {
        6 * self.config.timeout
    }
}

/// The tenant of a connection id made by [`super::connection`].
fn tenant_of(connection: &str) -> usize {
    connection
        .trim_start_matches("tenant-")
        .parse()
        .unwrap_or(usize::MAX)
}
