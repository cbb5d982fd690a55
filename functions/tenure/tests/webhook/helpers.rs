//! A connection, a key, the sample payloads and an in-process queue to read back from.

use std::time::Duration;

use jiff::Timestamp;
use secrecy::SecretString;
use tenure::queue::{InProcessQueue, WorkItem, WorkQueue};
use tenure::store::connections::ConnectionId;
use tenure::webhook::{self, Accepted, Headers, InMemoryReplayCache, WebhookError};

pub(crate) use crate::support::{Error, TestResult};

pub(crate) fn key() -> SecretString {
    SecretString::from("whsec-test-key-1234".to_owned())
}

pub(crate) fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).expect("a valid instant")
}

/// A sample payload of `samplesdata/webhooks`.
pub(crate) fn sample(name: &str) -> Result<Vec<u8>, Error> {
    crate::support::samples::read(&format!("webhooks/{name}"))
}

/// A whole-change guard that never holds (these tests are about signatures and payloads; the
/// guard's own tests are in `provision::guard`).
pub(crate) struct QueueAll;

#[async_trait::async_trait]
impl webhook::WholeChangeGuard for QueueAll {
    async fn hold(
        &self,
        _: &ConnectionId,
        _: &str,
        _: &[WorkItem],
    ) -> Result<Option<webhook::Held>, String> {
        Ok(None)
    }
}

/// One connection's webhook endpoint: its replay cache and queue.
pub(crate) struct Endpoint {
    pub(crate) connection: ConnectionId,
    pub(crate) replay: InMemoryReplayCache,
    pub(crate) queue: InProcessQueue,
}

impl Endpoint {
    pub(crate) fn new() -> Self {
        Self {
            connection: ConnectionId::parse("acme").expect("a valid id"),
            replay: InMemoryReplayCache::new(),
            queue: InProcessQueue::new(Duration::from_secs(60)),
        }
    }

    pub(crate) async fn post(
        &self,
        headers: &Headers,
        body: &[u8],
        at: Timestamp,
    ) -> Result<Accepted, WebhookError> {
        webhook::accept(
            &self.connection,
            headers,
            body,
            &key(),
            at,
            &self.replay,
            &self.queue,
            &QueueAll,
        )
        .await
    }

    /// Everything queued so far.
    pub(crate) async fn queued(&self) -> Result<Vec<WorkItem>, Error> {
        let mut items = Vec::new();
        for received in self.queue.receive(100, Duration::ZERO).await? {
            items.push(received.item?);
        }
        Ok(items)
    }

    /// Every queued worker in payload order: a delivery is one message per lane its workers
    /// fall in, so the workers are sorted back by their source index (`webhook:<index>`).
    pub(crate) fn in_payload_order(items: &[WorkItem]) -> Vec<tenure::queue::QueuedWorker> {
        let mut workers: Vec<_> = items.iter().flat_map(|i| i.workers.clone()).collect();
        workers.sort_by_key(|w| {
            w.source
                .rsplit_once(':')
                .and_then(|(_, index)| index.parse::<u64>().ok())
                .unwrap_or(u64::MAX)
        });
        workers
    }
}
