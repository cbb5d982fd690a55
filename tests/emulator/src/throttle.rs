//! Throttling: fixed windows of resource units, writes and Exchange calls.

use std::time::{Duration, Instant};

use crate::config::RateLimits;

/// One fixed window and what has been spent in it.
#[derive(Debug)]
struct Window {
    length: Duration,
    limit: u32,
    start: Instant,
    used: u32,
}

impl Window {
    fn new(length: Duration, limit: u32, now: Instant) -> Self {
        Self {
            length,
            limit,
            start: now,
            used: 0,
        }
    }

    /// Starts a new window when the current one is over.
    fn roll(&mut self, now: Instant) {
        if now.duration_since(self.start) >= self.length {
            self.start = now;
            self.used = 0;
        }
    }

    /// `None` if `cost` fits; otherwise how long until the window ends.
    fn check(&mut self, now: Instant, cost: u32) -> Option<Duration> {
        self.roll(now);
        (self.used.saturating_add(cost) > self.limit)
            .then(|| (self.start + self.length).saturating_duration_since(now))
    }

    fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }
}

/// What a Graph request costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cost {
    /// Resource units.
    pub(crate) units: u32,
    /// Whether it is a write.
    pub(crate) write: bool,
}

/// An Exchange call that was refused, with the headers Exchange sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExchangeRefusal {
    /// When the window resets.
    pub(crate) reset_in: Duration,
}

/// The throttle of one tenant.
#[derive(Debug)]
pub(crate) struct Throttle {
    units: Window,
    writes: Window,
    exchange: Window,
}

impl Throttle {
    pub(crate) fn new(limits: RateLimits, now: Instant) -> Self {
        Self {
            units: Window::new(limits.window, limits.resource_units, now),
            writes: Window::new(limits.write_window, limits.writes, now),
            exchange: Window::new(limits.exchange_window, limits.exchange_requests, now),
        }
    }

    /// Admits a Graph request or says how long to wait (Graph's `Retry-After`).
    pub(crate) fn admit_graph(&mut self, now: Instant, cost: Cost) -> Result<(), Duration> {
        let mut wait = self.units.check(now, cost.units);
        if cost.write {
            wait = wait.max(self.writes.check(now, 1));
        }
        match wait {
            Some(wait) => Err(wait),
            None => {
                self.units.used += cost.units;
                if cost.write {
                    self.writes.used += 1;
                }
                Ok(())
            }
        }
    }

    /// Admits an Exchange call: `Ok(remaining)` or a refusal.
    pub(crate) fn admit_exchange(&mut self, now: Instant) -> Result<u32, ExchangeRefusal> {
        match self.exchange.check(now, 1) {
            Some(reset_in) => Err(ExchangeRefusal { reset_in }),
            None => {
                self.exchange.used += 1;
                Ok(self.exchange.remaining())
            }
        }
    }
}

/// Rounds a wait up to whole seconds, at least one, as `Retry-After` carries it.
pub(crate) fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}
