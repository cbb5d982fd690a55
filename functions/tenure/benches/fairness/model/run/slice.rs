//! A run's slices as `apply_observed` applies them: the lookup of accounts an interrupted run
//! may have made, the creates, then each new user's `$batch`, each phase at most `concurrency`
//! workers at once in order (`buffered`), every request through the run's adaptive gate (halved
//! on a `429`, one wider per success) and retried after `Retry-After` (capped, a bounded number
//! of times). Each slice's size is the engine's `Pace`.
//!
//! A `429` whose wait would end past the run's stop time is not waited for (the engine's
//! `RetryPolicy::next_try` decides, as provision's clients do): the request is postponed, the
//! slice starts nothing more, what it started settles, and its workers not done go to the
//! run's continuation with those of the slices it did not start.

use std::collections::VecDeque;

use tenure::microsoft::NextTry;

use super::super::{Event, Micros, duration};
use super::{Deployment, Stage};

/// A request of a slice: which invocation, slice and task.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskRef {
    invocation: usize,
    slice: u64,
    task: usize,
}

/// Microsoft's answer to a request: done (its writes), or `429` with the wait named.
#[derive(Debug)]
pub(crate) struct Answer {
    task: TaskRef,
    outcome: Result<u32, Micros>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Create,
    Rest,
}

#[derive(Debug)]
struct Task {
    worker: String,
    attempts: usize,
    done: bool,
}

#[derive(Debug)]
pub(super) struct Slice {
    serial: u64,
    started: Micros,
    workers: Vec<String>,
    phase: Phase,
    tasks: Vec<Task>,
    head: usize,
    started_tasks: usize,
    in_flight: usize,
    limit: usize,
    waiting: VecDeque<usize>,
    /// Tasks waiting out a `Retry-After` before their next try.
    retrying: usize,
    /// Microsoft asked one of its requests to wait past the stop time: the slice starts no
    /// more tasks and ends once those it started have settled.
    stopping: bool,
}

impl Deployment {
    /// Starts the run's next slice as `Pace` sizes it, or ends the run.
    pub(super) fn next_slice(&mut self, i: usize) {
        let now = self.instant(self.now);
        let serial = self.serial;
        let Some(run) = self.invocations[i].run.as_mut() else {
            return;
        };
        let tenant = run.tenant;
        let left = run.working.len() - run.next;
        let size = if left == 0 {
            0
        } else {
            run.pace.next_at(now, left)
        };
        if size == 0 {
            return self.end_run(i);
        }
        let workers = run.working[run.next..run.next + size].to_vec();
        let creates = workers
            .iter()
            .any(|w| self.tenants[run.tenant].workers[w].created_at.is_none());
        run.slice = Some(Slice {
            serial,
            started: self.now,
            workers,
            phase: Phase::Create,
            tasks: Vec::new(),
            head: 0,
            started_tasks: 0,
            in_flight: 0,
            limit: self.config.provision.concurrency.max(1),
            waiting: VecDeque::new(),
            retrying: 0,
            stopping: false,
        });
        self.serial += 1;
        if creates {
            // The lookup of accounts an interrupted run may have made (one read at once).
            let (low, high) = self.config.costs.latency.read;
            let read = self.tenants[tenant].rng.u64(low..=high);
            self.invocations[i].stage = Stage::Looking;
            self.schedule(self.now + read, Event::Step(i));
        } else {
            self.phase(i, Phase::Rest);
        }
    }

    /// Starts a phase of the slice: the creates, or the `$batch`es of the workers with an
    /// account and something left to do.
    pub(super) fn phase(&mut self, i: usize, phase: Phase) {
        self.invocations[i].stage = Stage::Applying;
        let Some(run) = self.invocations[i].run.as_mut() else {
            return;
        };
        let tenant = &self.tenants[run.tenant];
        let Some(slice) = run.slice.as_mut() else {
            return;
        };
        slice.phase = phase;
        slice.tasks = slice
            .workers
            .iter()
            .filter(|w| {
                let state = &tenant.workers[*w];
                match phase {
                    Phase::Create => state.created_at.is_none(),
                    Phase::Rest => state.created_at.is_some() && state.done_at.is_none(),
                }
            })
            .map(|w| Task {
                worker: w.clone(),
                attempts: 0,
                done: false,
            })
            .collect();
        slice.head = 0;
        slice.started_tasks = 0;
        self.advance(i);
    }

    /// Starts what the phase's order and the gate allow; moves on when the phase is done.
    fn advance(&mut self, i: usize) {
        let concurrency = self.config.provision.concurrency.max(1);
        let mut to_send = Vec::new();
        let (phase_done, phase, serial, stopping) = {
            let Some(slice) = self.invocations[i]
                .run
                .as_mut()
                .and_then(|r| r.slice.as_mut())
            else {
                return;
            };
            while slice.head < slice.tasks.len() && slice.tasks[slice.head].done {
                slice.head += 1;
            }
            while !slice.stopping
                && slice.started_tasks < slice.tasks.len()
                && slice.started_tasks - slice.head < concurrency
            {
                slice.waiting.push_back(slice.started_tasks);
                slice.started_tasks += 1;
            }
            while slice.in_flight < slice.limit {
                let Some(task) = slice.waiting.pop_front() else {
                    break;
                };
                slice.in_flight += 1;
                to_send.push(task);
            }
            let settled = slice.in_flight == 0 && slice.waiting.is_empty() && slice.retrying == 0;
            let done = if slice.stopping {
                settled
            } else {
                slice.head == slice.tasks.len()
            };
            (done, slice.phase, slice.serial, slice.stopping)
        };
        for task in to_send {
            self.send(TaskRef {
                invocation: i,
                slice: serial,
                task,
            });
        }
        if phase_done {
            match phase {
                Phase::Create if !stopping => self.phase(i, Phase::Rest),
                Phase::Create | Phase::Rest => self.slice_done(i),
            }
        }
    }

    /// Sends a task's request to Microsoft.
    fn send(&mut self, task: TaskRef) {
        let Some(run) = self.invocations[task.invocation].run.as_ref() else {
            return;
        };
        let Some(slice) = run.slice.as_ref() else {
            return;
        };
        let tenant = &mut self.tenants[run.tenant];
        let rest_writes = tenant.workers[&slice.tasks[task.task].worker].rest_writes;
        let latency = self.config.costs.latency;
        let (writes, (low, high)) = match slice.phase {
            Phase::Create => (1, latency.create),
            Phase::Rest => (rest_writes, latency.batch),
        };
        let (at, outcome) = match tenant
            .throttle
            .admit(self.config.write_limit, self.now, writes)
        {
            Ok(()) => (self.now + tenant.rng.u64(low..=high), Ok(writes)),
            Err(wait) => (self.now + latency.throttled, Err(wait)),
        };
        self.schedule(at, Event::Answer(Answer { task, outcome }));
    }

    fn live_slice(&mut self, task: TaskRef) -> Option<(&mut Slice, usize)> {
        let inv = self.invocations.get_mut(task.invocation)?;
        if inv.over {
            return None;
        }
        let run = inv.run.as_mut()?;
        let tenant = run.tenant;
        let slice = run.slice.as_mut()?;
        (slice.serial == task.slice).then_some((slice, tenant))
    }

    pub(super) fn answer(&mut self, answer: Answer) {
        let now = self.now;
        let task = answer.task;
        let policy = self.config.provision.retry;
        let max = self.config.provision.concurrency.max(1);
        let next_try = match answer.outcome {
            Ok(_) => None,
            Err(wait) => {
                let stop_at = self
                    .invocations
                    .get(task.invocation)
                    .and_then(|inv| inv.stop.stop_at());
                let backoff = Some(policy.min_delay);
                let now = self.instant(now);
                Some(policy.next_try(Some(duration(wait)), backoff, true, stop_at, now))
            }
        };
        let Some((slice, tenant)) = self.live_slice(task) else {
            return;
        };
        slice.in_flight -= 1;
        let phase = slice.phase;
        let state = &mut slice.tasks[task.task];
        let worker = state.worker.clone();
        let mut gave_up = false;
        match (answer.outcome, next_try) {
            (Ok(_), _) => {
                slice.limit = (slice.limit + 1).min(max);
                state.done = true;
            }
            (Err(_), next_try) => {
                slice.limit = (slice.limit / 2).max(1);
                state.attempts += 1;
                gave_up = state.attempts > policy.max_retries;
                match next_try {
                    _ if gave_up => state.done = true,
                    Some(NextTry::After(_)) => slice.retrying += 1,
                    // Postponed: done in this slice, left to the continuation.
                    _ => {
                        state.done = true;
                        slice.stopping = true;
                    }
                }
            }
        }
        match (answer.outcome, next_try) {
            (Ok(writes), _) => self.applied(tenant, &worker, phase, writes),
            (Err(_), _) if gave_up => {
                if let Some(run) = self.invocations[task.invocation].run.as_mut() {
                    run.failed = true;
                }
            }
            (Err(_), Some(NextTry::After(delay))) => {
                self.counts.throttled += 1;
                self.schedule(now + delay.as_micros() as Micros, Event::Retry(task));
            }
            (Err(_), _) => {
                self.counts.throttled += 1;
                self.counts.postponed += 1;
            }
        }
        self.advance(task.invocation);
    }

    /// Microsoft did what a request asked.
    fn applied(&mut self, tenant: usize, worker: &str, phase: Phase, writes: u32) {
        let tenant = &mut self.tenants[tenant];
        tenant.writes += u64::from(writes);
        let Some(state) = tenant.workers.get_mut(worker) else {
            return;
        };
        match phase {
            Phase::Create => {
                state.created_at = Some(self.now);
                state.creates += 1;
                tenant.directory += 1;
            }
            Phase::Rest => state.done_at = Some(self.now),
        }
    }

    pub(super) fn retry(&mut self, task: TaskRef) {
        let Some((slice, _)) = self.live_slice(task) else {
            return;
        };
        slice.retrying -= 1;
        slice.waiting.push_back(task.task);
        self.advance(task.invocation);
    }

    /// The slice is over: the next one starts, or, when it stopped for a wait past the stop
    /// time, the run ends with the slice's workers not done among those it leaves.
    fn slice_done(&mut self, i: usize) {
        let now = self.now;
        let Some(run) = self.invocations[i].run.as_mut() else {
            return;
        };
        let mut stopped = false;
        if let Some(slice) = run.slice.take() {
            run.pace
                .record(slice.workers.len(), duration(now - slice.started));
            run.next += slice.workers.len();
            if slice.stopping {
                stopped = true;
                let workers = &self.tenants[run.tenant].workers;
                run.postponed = slice
                    .workers
                    .into_iter()
                    .filter(|w| workers.get(w).is_some_and(|w| w.done_at.is_none()))
                    .collect();
            }
        }
        if stopped {
            self.end_run(i);
        } else {
            self.next_slice(i);
        }
    }
}
