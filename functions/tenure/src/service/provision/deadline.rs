//! When a provision run stops starting new work, and how much it starts at a time.
//!
//! A run applies its plan in slices of workers (managers first, as planned). With a
//! [`Deadline`] it starts a slice only before the deadline's stop time, and sizes each slice
//! from the time the run's slices took per worker so far (the slowest seen), to fill at most
//! half of the time left and half of the margin (a slice cannot be stopped once started):
//! slices shrink as the stop time nears, and the last one ends before it. The first slice always starts (as many workers as requests may be in flight), so every
//! invocation makes progress however long the cold start and the directory read took. Without
//! a deadline the whole plan is one slice, as it always was.

use std::time::{Duration, Instant};

/// The most workers one slice takes when a deadline paces the run: large enough that group
/// additions are still gathered in full `$batch`es.
const MAX_SLICE: usize = 500;

/// When a provision run stops starting new work: the host's invocation deadline less a safety
/// margin, or never. A plain value: the engine knows nothing of Lambda (the `provision` binary
/// makes it from its invocation's context).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    stop_at: Option<Instant>,
    margin: Duration,
}

impl Deadline {
    /// No deadline: the whole plan is applied (`tenure serve`, tests).
    pub fn none() -> Self {
        Self {
            stop_at: None,
            margin: Duration::ZERO,
        }
    }

    /// The run must have answered by `deadline`: it starts no new work `margin` before it, but
    /// keeps at least half of the time left now (a margin as long as the invocation would
    /// otherwise stop every invocation before its first slice).
    pub fn at(deadline: Instant, margin: Duration) -> Self {
        Self::at_from(Instant::now(), deadline, margin)
    }

    /// As [`Deadline::at`], judged from `now` rather than the clock (a simulation's virtual
    /// time: `benches/fairness`).
    pub fn at_from(now: Instant, deadline: Instant, margin: Duration) -> Self {
        let half = deadline.saturating_duration_since(now) / 2;
        let stop_at = deadline.checked_sub(margin).unwrap_or(now).max(now + half);
        Self {
            stop_at: Some(stop_at),
            margin,
        }
    }

    /// When new work stops being started; `None` for no deadline.
    pub fn stop_at(&self) -> Option<Instant> {
        self.stop_at
    }
}

/// The pace of one run's slices: how many workers each starts, from the deadline and the time
/// the slices so far took. Public so that the fairness simulation (`benches/fairness`) sizes its
/// slices with this very rule, in virtual time ([`Pace::next_at`]).
#[derive(Debug)]
pub struct Pace {
    deadline: Deadline,
    first: usize,
    per_worker: Option<Duration>,
}

impl Pace {
    /// The pace under `deadline` of a run keeping `concurrency` workers in flight.
    pub fn new(deadline: Deadline, concurrency: usize) -> Self {
        Self {
            deadline,
            first: concurrency.clamp(1, MAX_SLICE),
            per_worker: None,
        }
    }

    /// How many of the `left` workers to start now: 0 once the stop time has passed (never
    /// for the first slice).
    pub fn next(&self, left: usize) -> usize {
        self.next_at(Instant::now(), left)
    }

    /// As [`Pace::next`], at `now` rather than the clock's now.
    pub fn next_at(&self, now: Instant, left: usize) -> usize {
        let Some(stop_at) = self.deadline.stop_at else {
            return left;
        };
        let Some(per_worker) = self.per_worker else {
            return self.first.min(left);
        };
        let time_left = stop_at.saturating_duration_since(now);
        if time_left.is_zero() {
            return 0;
        }
        // A slice cannot be stopped once started: it must fit well within the margin too.
        let budget = time_left.min(self.deadline.margin);
        let fits = budget.as_secs_f64() / 2.0 / per_worker.as_secs_f64().max(1e-6);
        // Truncation intended: whole workers, at least one while there is time.
        (fits as usize).clamp(1, MAX_SLICE).min(left)
    }

    /// A slice of `workers` took `elapsed`.
    pub fn record(&mut self, workers: usize, elapsed: Duration) {
        let per = elapsed / u32::try_from(workers.max(1)).unwrap_or(u32::MAX);
        self.per_worker = Some(self.per_worker.map_or(per, |seen| seen.max(per)));
    }
}
