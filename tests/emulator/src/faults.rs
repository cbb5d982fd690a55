//! Fault injection: what share of requests fail and how, drawn from a seeded generator.

use std::time::Duration;

/// Faults to inject into Graph and Exchange requests (never into the token endpoint). Each share
/// is a probability between 0 and 1; one draw per request picks at most one of dropped, 503 and
/// 429 (in that order), and a second draw decides whether the answer is slow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Share of requests whose connection is closed without an answer.
    pub dropped: f64,
    /// Share of requests answered `503 Service Unavailable`.
    pub unavailable: f64,
    /// Share of requests answered `429 Too Many Requests` (with `Retry-After: 1`), whatever the budget.
    pub throttled: f64,
    /// Share of requests answered only after [`Faults::slow_delay`].
    pub slow: f64,
    /// The delay of a slow answer.
    pub slow_delay: Duration,
    /// Share of inner `$batch` requests answered `503` (the batch itself succeeds).
    pub batch_inner_failures: f64,
    /// Share of `sendMail` requests answered `503` (drawn after the others; other requests are
    /// not affected).
    pub send_mail_failures: f64,
    /// Every `sendMail` answered `429` with this `Retry-After` (in whole seconds), whatever the
    /// budget; other requests are not affected.
    pub send_mail_retry_after: Option<Duration>,
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Close the connection.
    Drop,
    /// Answer 503.
    Unavailable,
    /// Answer 429.
    Throttle,
}

/// The faults in force and the generator they are drawn from.
#[derive(Debug)]
pub(crate) struct FaultState {
    faults: Faults,
    rng: fastrand::Rng,
}

impl FaultState {
    pub(crate) fn new(faults: Faults, seed: u64) -> Self {
        Self {
            faults,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    pub(crate) fn set(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// Draws the fate of one request: a fault, if any, and a delay, if slow.
    pub(crate) fn draw(&mut self) -> (Option<Fault>, Option<Duration>) {
        let f = &self.faults;
        let roll = self.rng.f64();
        let fault = if roll < f.dropped {
            Some(Fault::Drop)
        } else if roll < f.dropped + f.unavailable {
            Some(Fault::Unavailable)
        } else if roll < f.dropped + f.unavailable + f.throttled {
            Some(Fault::Throttle)
        } else {
            None
        };
        let slow = (self.rng.f64() < f.slow).then_some(f.slow_delay);
        (fault, slow)
    }

    /// The `Retry-After` every `sendMail` is refused with, if any.
    pub(crate) fn send_mail_retry_after(&self) -> Option<Duration> {
        self.faults.send_mail_retry_after
    }

    /// Whether one `sendMail` fails.
    pub(crate) fn draw_send_mail_failure(&mut self) -> bool {
        self.faults.send_mail_failures > 0.0 && self.rng.f64() < self.faults.send_mail_failures
    }

    /// Whether one inner `$batch` request fails.
    pub(crate) fn draw_inner_failure(&mut self) -> bool {
        self.rng.f64() < self.faults.batch_inner_failures
    }
}
