//! Retries: exponential backoff with jitter (`backon`), honouring Microsoft's `Retry-After` and
//! Exchange's `Rate-Limit-Reset`.
//!
//! Idempotent requests (GET, PATCH, PUT, DELETE and the `$ref`/action POSTs whose repetition is
//! harmless) are retried on 429, 500, 502, 503, 504, timeouts and dropped connections. A request
//! that could create something twice (`POST /users`) is retried by the transport only when it
//! provably was not carried out: a 429 or a connection that was never established. Anything
//! else reaches the caller, and [`super::graph::GraphClient::create_user`] then looks the user
//! up by `userPrincipalName` before trying again, so a create is never doubled.

use std::time::Duration;

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

    use super::{RetryPolicy, server_wait};

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
}
