//! Retries: exponential backoff with jitter (`backon`), honouring Microsoft's `Retry-After` and
//! Exchange's `Rate-Limit-Reset`.
//!
//! Idempotent requests (GET, PATCH, PUT, DELETE and the `$ref`/action POSTs whose repetition is
//! harmless) are retried on 429, 500, 502, 503, 504, timeouts and dropped connections. A request
//! that could create something twice (`POST /users`) is retried by the transport only when it
//! provably was not carried out: a 429 or a connection that was never established. Anything
//! else reaches the caller, and [`super::graph::GraphClient::create_user`] then looks the user
//! up by `userPrincipalName` before trying again, so a create is never doubled.
//!
//! A client may be told to give up waiting after an instant (a provision run's stop time:
//! [`super::LiveDirectory::give_up_waiting_after`]). A retry of a request that provably was not
//! carried out (a 429, a connection never made, a read) whose wait would end after it is not
//! waited for: the request ends in [`super::ApiError::OutOfTime`], so the run hands it to its
//! continuation rather than outlive its invocation. Without that instant every wait is waited
//! for, as it always was.

use std::time::{Duration, Instant};

use backon::ExponentialBuilder;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub max_retries: usize,
    /// The first backoff delay.
    pub min_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
    /// The longest wait a `Retry-After` may impose before Tenure gives up on the request.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Six retries from 500 ms to 30 s; `Retry-After` honoured up to five minutes.
    fn default() -> Self {
        Self {
            max_retries: 6,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Fast retries for tests against a local server.
    pub fn quick() -> Self {
        Self {
            max_retries: 8,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        }
    }

    /// The backoff schedule.
    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
    }

    /// The delay before the next attempt: Microsoft's wait when it named one (capped), otherwise
    /// the backoff's. `None` (the backoff is spent) ends the retries.
    pub(crate) fn next_delay(
        &self,
        server_wait: Option<Duration>,
        backoff: Option<Duration>,
    ) -> Option<Duration> {
        let backoff = backoff?;
        Some(match server_wait {
            Some(wait) => wait.min(self.max_retry_after),
            None => backoff,
        })
    }
}

/// What to do after a failed attempt that may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextTry {
    /// Wait this long, then try again.
    After(Duration),
    /// Do not wait: the next try could not start before the instant to give up at. `wait`
    /// is what it would have needed (Microsoft's wait when it named one, uncapped).
    GiveUp {
        /// The wait that outlives the instant.
        wait: Duration,
    },
    /// The retries are spent: the failure stands.
    Stop,
}

impl RetryPolicy {
    /// The decision after a failed attempt at `now`: wait Microsoft's wait when it named one
    /// (capped at `max_retry_after`), else `backoff` (`None`: the retries are spent,
    /// [`NextTry::Stop`]), unless `give_up_at` is set, the attempt provably was not carried out
    /// (`unapplied`), and the next try could not start before `give_up_at`. That is judged on Microsoft's own wait, not on
    /// its capped form: trying again before it ends only earns another 429.
    ///
    /// An attempt that may have been carried out (a dropped answer, a 5xx on an idempotent
    /// write) is always waited for: giving it up would leave a change that may have reached
    /// the tenant with no audit record.
    pub fn next_try(
        &self,
        server_wait: Option<Duration>,
        backoff: Option<Duration>,
        unapplied: bool,
        give_up_at: Option<Instant>,
        now: Instant,
    ) -> NextTry {
        let Some(delay) = self.next_delay(server_wait, backoff) else {
            return NextTry::Stop;
        };
        let needed = server_wait.map_or(delay, |wait| wait.max(delay));
        match give_up_at {
            Some(at) if unapplied && now + needed > at => NextTry::GiveUp { wait: needed },
            _ => NextTry::After(delay),
        }
    }
}

/// Whether an answer's status is worth another try.
pub(crate) fn is_transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// The wait Microsoft asks for: `Retry-After` in seconds (Graph, and Exchange on 503), or
/// Exchange's `Rate-Limit-Reset` (a timestamp, or seconds).
pub fn server_wait(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(seconds) = text("retry-after").and_then(|v| v.parse::<f64>().ok())
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds));
    }
    let reset = text("rate-limit-reset")?;
    if let Ok(seconds) = reset.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at: jiff::Timestamp = reset.parse().ok()?;
    let wait = at.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest::header::{HeaderMap, HeaderValue};

    use std::time::Instant;

    use super::{NextTry, RetryPolicy, server_wait};

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert("Retry-After", HeaderValue::from_static("7"));
        assert_eq!(server_wait(&headers), Some(Duration::from_secs(7)));
    }

    #[test]
    fn rate_limit_reset_is_read_as_a_timestamp() {
        let mut headers = HeaderMap::new();
        let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30);
        headers.insert(
            "Rate-Limit-Reset",
            HeaderValue::from_str(&at.to_string()).unwrap_or(HeaderValue::from_static("x")),
        );
        let wait = server_wait(&headers).unwrap_or_default();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
    }

    #[test]
    fn server_waits_are_capped_and_end_with_the_backoff() {
        let policy = RetryPolicy::default();
        let long = Some(Duration::from_secs(3_600));
        assert_eq!(
            policy.next_delay(long, Some(Duration::from_secs(1))),
            Some(policy.max_retry_after)
        );
        assert_eq!(policy.next_delay(long, None), None);
    }

    #[test]
    fn a_wait_past_the_instant_to_give_up_at_is_not_waited_for() {
        let policy = RetryPolicy::default();
        let now = Instant::now();
        let stop = Some(now + Duration::from_secs(60));
        let backoff = Some(Duration::from_secs(1));
        let retry_after = |s| Some(Duration::from_secs(s));

        // Microsoft's wait ends before the stop: waited for.
        assert_eq!(
            policy.next_try(retry_after(30), backoff, true, stop, now),
            NextTry::After(Duration::from_secs(30))
        );
        // It ends after the stop: given up, with the wait Microsoft named (not the capped one).
        assert_eq!(
            policy.next_try(retry_after(3_600), backoff, true, stop, now),
            NextTry::GiveUp {
                wait: Duration::from_secs(3_600)
            }
        );
        // So does a backoff that ends after it (no Retry-After).
        let past = Some(now + Duration::from_millis(500));
        assert_eq!(
            policy.next_try(None, backoff, true, past, now),
            NextTry::GiveUp {
                wait: Duration::from_secs(1)
            }
        );
        // The retries spent: the failure stands, deadline or not.
        assert_eq!(
            policy.next_try(retry_after(3_600), None, true, stop, now),
            NextTry::Stop
        );
    }

    #[test]
    fn without_an_instant_or_on_an_unknown_outcome_every_wait_is_waited_for() {
        let policy = RetryPolicy::default();
        let now = Instant::now();
        let backoff = Some(Duration::from_secs(1));
        let long = Some(Duration::from_secs(3_600));
        // No deadline: as it always was, the wait capped.
        assert_eq!(
            policy.next_try(long, backoff, true, None, now),
            NextTry::After(policy.max_retry_after)
        );
        // An attempt that may have been carried out is not given up, even past the stop.
        let stop = Some(now + Duration::from_secs(60));
        assert_eq!(
            policy.next_try(long, backoff, false, stop, now),
            NextTry::After(policy.max_retry_after)
        );
    }
}
