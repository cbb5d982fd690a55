//! A delivery from signature to queue: what the `hr-webhook` function and `tenure serve` call.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;

use super::{Headers, ReplayCache, WebhookError, payload, signature};
use crate::queue::{MessageId, WorkItem, WorkQueue};
use crate::store::connections::ConnectionId;

/// A delivery taken in: answer 202 with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The id of this delivery (for the sender and the logs).
    pub delivery_id: String,
    /// How many workers were queued.
    pub workers: usize,
    /// The queue's messages carrying them (none when the delivery is held).
    pub messages: Vec<MessageId>,
    /// The pending approval that holds the delivery instead of the queue, when the guard
    /// refused it as a whole.
    pub held: Option<Held>,
}

impl Accepted {
    /// The HTTP status to answer with: 202 whether queued or held for approval (the delivery is
    /// kept either way; sending it again would only hold it twice).
    pub fn status(&self) -> u16 {
        202
    }
}

/// A delivery kept as a pending approval instead of queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The pending approval's id.
    pub approval_id: String,
    /// Why the guard held it.
    pub reason: String,
}

/// Judges a delivery as a whole before anything of it is queued (the mass-change guard; the
/// deployment's is [`crate::service::guard::ServiceGuard`]).
#[async_trait]
pub trait WholeChangeGuard: Send + Sync {
    /// `None` to queue `items`; else the pending approval now holding them. An error when the
    /// held delivery could not be kept (nothing is queued; the sender retries).
    async fn hold(
        &self,
        connection: &ConnectionId,
        delivery_id: &str,
        items: &[WorkItem],
    ) -> Result<Option<Held>, String>;
}

/// The checks that need no key, and so nothing looked up for the connection: the body's size
/// and well-formed signature headers. A host calls this before it reads the connection's key,
/// and answers a connection that has no key as [`WebhookError::BadSignature`], the same as a
/// wrong signature ([`accept`] repeats these checks).
pub fn read_signature(
    headers: &Headers,
    raw_body: &[u8],
) -> Result<signature::Presented, WebhookError> {
    if raw_body.len() > payload::MAX_BODY_BYTES {
        return Err(WebhookError::TooLarge {
            size: raw_body.len(),
            limit: payload::MAX_BODY_BYTES,
        });
    }
    signature::presented(headers)
}

/// Verifies, parses and queues one delivery for `connection_id`, signed with `key`, judged at
/// `now` with the default replay window; `guard` judges the whole delivery first and may hold
/// it for approval instead. Nothing is queued when any step fails; the error says which status
/// to answer with.
#[allow(clippy::too_many_arguments)]
pub async fn accept(
    connection_id: &ConnectionId,
    headers: &Headers,
    raw_body: &[u8],
    key: &SecretString,
    now: Timestamp,
    replay_cache: &dyn ReplayCache,
    queue: &dyn WorkQueue,
    guard: &dyn WholeChangeGuard,
) -> Result<Accepted, WebhookError> {
    let presented = read_signature(headers, raw_body)?;
    let window = signature::DEFAULT_REPLAY_WINDOW;
    let verified = presented.verify(raw_body, key, now, window)?;
    let delivery = payload::parse(verified.scheme.into(), raw_body)?;
    let delivery_id = uuid::Uuid::new_v4().to_string();
    let workers = delivery.workers.len();
    let partial: HashSet<String> = delivery
        .workers
        .iter()
        .zip(&delivery.partial)
        .filter(|(_, partial)| **partial)
        .map(|(sourced, _)| sourced.source.to_string())
        .collect();
    let mut items = WorkItem::split(connection_id, &delivery_id, delivery.workers)?;
    for queued in items.iter_mut().flat_map(|item| item.workers.iter_mut()) {
        queued.partial = partial.contains(&queued.source);
    }

    // Remembered until its timestamp leaves the window: after that it is refused as stale.
    let expires_at = verified
        .timestamp
        .saturating_add(
            SignedDuration::try_from(window + Duration::from_secs(1))
                .unwrap_or(SignedDuration::MAX),
        )
        .unwrap_or(Timestamp::MAX);
    if replay_cache
        .seen(connection_id, &verified.signature, now, expires_at)
        .await
        .map_err(WebhookError::ReplayCache)?
    {
        return Err(WebhookError::Replay);
    }
    let sent = match guard.hold(connection_id, &delivery_id, &items).await {
        Ok(Some(held)) => {
            return Ok(Accepted {
                delivery_id,
                workers,
                messages: Vec::new(),
                held: Some(held),
            });
        }
        Ok(None) => queue.send(items).await.map_err(WebhookError::from),
        Err(message) => Err(WebhookError::Guard(message)),
    };
    match sent {
        Ok(messages) => Ok(Accepted {
            delivery_id,
            workers,
            messages,
            held: None,
        }),
        Err(e) => {
            if let Err(forget) = replay_cache
                .forget(connection_id, &verified.signature)
                .await
            {
                // The sender's retry will be refused as a replay until the entry expires.
                tracing::warn!(connection = %connection_id, error = %forget,
                    "could not forget a delivery that was not queued");
            }
            Err(e)
        }
    }
}
