//! Microsoft Graph as one tenant's writes meet it: fixed windows of writes per app and tenant
//! (about 3,000 per 150 s, as the emulated tenant enforces them), a `429` with `Retry-After`
//! (whole seconds, rounded up) once a window is spent, and each request's latency.

use super::Micros;

/// Microsoft's write limit per app and tenant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteLimit {
    /// Writes per window.
    pub(crate) writes: u32,
    /// The window.
    pub(crate) window: Micros,
}

impl WriteLimit {
    /// About 3,000 writes per 150 s per app and tenant (20 per second).
    pub(crate) fn microsoft() -> Self {
        Self {
            writes: 3_000,
            window: 150 * super::SECOND,
        }
    }

    /// The sustained rate the limit allows, in writes per second.
    pub(crate) fn per_second(&self) -> f64 {
        f64::from(self.writes) / (self.window as f64 / super::SECOND as f64)
    }
}

/// One tenant's current write window: a window opens with the first write after the last one
/// closed (the emulated tenant's rule).
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    opened: Option<Micros>,
    used: u32,
}

impl Throttle {
    /// A request carrying `writes` (the requests inside a `$batch` count one by one) sent at
    /// `now`: taken, or refused with the wait Microsoft names (`Retry-After`).
    pub(crate) fn admit(
        &mut self,
        limit: WriteLimit,
        now: Micros,
        writes: u32,
    ) -> Result<(), Micros> {
        let opened = match self.opened {
            Some(at) if now < at + limit.window => at,
            _ => {
                self.opened = Some(now);
                self.used = 0;
                now
            }
        };
        if self.used + writes <= limit.writes {
            self.used += writes;
            return Ok(());
        }
        let left = opened + limit.window - now;
        Err(left.div_ceil(super::SECOND) * super::SECOND)
    }
}

/// How long Microsoft takes to answer, drawn uniformly in each range (microseconds).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Latency {
    /// `POST /users`.
    pub(crate) create: (Micros, Micros),
    /// The `$batch` setting a new user's manager and license.
    pub(crate) batch: (Micros, Micros),
    /// A read (the lookup of accounts an interrupted run may have made).
    pub(crate) read: (Micros, Micros),
    /// A `429`.
    pub(crate) throttled: Micros,
}

impl Latency {
    /// Graph from an AWS region near the tenant: a create 150–400 ms, a two-request `$batch`
    /// 250–600 ms, a read 80–200 ms, a `429` 50 ms.
    pub(crate) fn graph() -> Self {
        let ms = super::MILLISECOND;
        Self {
            create: (150 * ms, 400 * ms),
            batch: (250 * ms, 600 * ms),
            read: (80 * ms, 200 * ms),
            throttled: 50 * ms,
        }
    }

    /// Every answer `factor` times as slow.
    pub(crate) fn times(self, factor: Micros) -> Self {
        let scale = |(low, high): (Micros, Micros)| (low * factor, high * factor);
        Self {
            create: scale(self.create),
            batch: scale(self.batch),
            read: scale(self.read),
            throttled: self.throttled * factor,
        }
    }
}
