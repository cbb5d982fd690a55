//! Adaptive concurrency: an AIMD gate that halves the number of requests in flight on a 429 and
//! climbs back by one per success, always within `[1, max]`.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

#[derive(Debug)]
struct Gate {
    limit: usize,
    in_flight: usize,
}

/// A gate on requests in flight whose width adapts to Microsoft's throttling. Shared by every
/// client of one tenant (clone it: clones share the gate).
#[derive(Debug, Clone)]
pub struct AdaptiveLimit {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    max: usize,
    gate: Mutex<Gate>,
    freed: Notify,
}

/// A place in the gate, given back on drop.
#[derive(Debug)]
pub struct Permit {
    inner: Arc<Inner>,
}

impl AdaptiveLimit {
    /// A gate that starts wide open at `max` (at least 1) requests in flight.
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            inner: Arc::new(Inner {
                max,
                gate: Mutex::new(Gate {
                    limit: max,
                    in_flight: 0,
                }),
                freed: Notify::new(),
            }),
        }
    }

    /// The current width.
    pub fn limit(&self) -> usize {
        self.inner.lock().limit
    }

    /// Waits for a place.
    pub async fn acquire(&self) -> Permit {
        loop {
            let freed = self.inner.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut gate = self.inner.lock();
                if gate.in_flight < gate.limit {
                    gate.in_flight += 1;
                    return Permit {
                        inner: Arc::clone(&self.inner),
                    };
                }
            }
            freed.await;
        }
    }

    /// Microsoft throttled a request: halve the width (multiplicative decrease).
    pub fn on_throttled(&self) {
        let mut gate = self.inner.lock();
        gate.limit = (gate.limit / 2).max(1);
    }

    /// A request went through: widen by one (additive increase), up to the maximum.
    pub fn on_success(&self) {
        let mut gate = self.inner.lock();
        if gate.limit < self.inner.max {
            gate.limit += 1;
            drop(gate);
            self.inner.freed.notify_one();
        }
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Gate> {
        // The gate holds two counters that are always consistent; a poisoned lock is still usable.
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.inner.lock().in_flight -= 1;
        self.inner.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::AdaptiveLimit;

    #[tokio::test]
    async fn halves_on_throttling_and_climbs_back_by_one() {
        let limit = AdaptiveLimit::new(8);
        limit.on_throttled();
        assert_eq!(limit.limit(), 4);
        limit.on_throttled();
        limit.on_throttled();
        limit.on_throttled();
        assert_eq!(limit.limit(), 1, "never below one");
        for _ in 0..20 {
            limit.on_success();
        }
        assert_eq!(limit.limit(), 8, "never above the maximum");
    }

    #[tokio::test]
    async fn holds_requests_beyond_the_width() {
        let limit = AdaptiveLimit::new(2);
        limit.on_throttled();
        let first = limit.acquire().await;
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), limit.acquire());
        assert!(
            waiting.await.is_err(),
            "a second request waits at width one"
        );
        drop(first);
        let _second = limit.acquire().await;
    }
}
