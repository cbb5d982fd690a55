//! Where messages go that can never be handled (a body that is not a work item, an unknown
//! connection, a connection that needs re-linking…), each with its reason: an SQS dead-letter
//! queue in AWS (`SqsDeadLetters`, with the `aws` feature), objects under `dead-letters/` locally
//! ([`LocalDeadLetters`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::QueueError;
use crate::store::objects::{Condition, ObjectKey, ObjectStore};

/// The SQS message attribute that carries a dead letter's reason.
pub const DEAD_LETTER_REASON_ATTRIBUTE: &str = "tenure-reason";

/// The longest reason kept, in bytes (the rest is cut at a character boundary).
const MAX_REASON_BYTES: usize = 4096;

/// A message given up on: its body as received and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The queue's id of the message, when it came from a queue.
    pub message_id: Option<String>,
    /// The message body, unchanged.
    pub body: String,
    /// Why it can never be handled, in words an operator can act on (never a secret).
    pub reason: String,
}

impl DeadLetter {
    /// A dead letter; the reason is cut to a few KiB.
    pub fn new(message_id: Option<String>, body: impl Into<String>, reason: &str) -> Self {
        let mut end = reason.len().min(MAX_REASON_BYTES);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            message_id,
            body: body.into(),
            reason: reason[..end].to_owned(),
        }
    }
}

/// A dead letter as it is kept, with the id [`DeadLetters::remove`] takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptDeadLetter {
    /// Where it is kept: its object key, or its message id on the dead-letter queue.
    pub id: String,
    /// The letter.
    pub letter: DeadLetter,
}

/// Where dead letters go, and where a person finds them again.
#[async_trait::async_trait]
pub trait DeadLetters: Send + Sync {
    /// Keeps the letter; an error means it was not kept (leave the message on its queue).
    async fn send(&self, letter: &DeadLetter) -> Result<(), QueueError>;

    /// Up to `max` of the letters kept now; reading them takes none away.
    async fn list(&self, max: usize) -> Result<Vec<KeptDeadLetter>, QueueError>;

    /// Removes the letter `id`; `false` when it is not kept (any more).
    async fn remove(&self, id: &str) -> Result<bool, QueueError>;
}

/// Dead letters as objects `dead-letters/<timestamp>-<uuid>.json` (body, reason and message
/// id), for `tenure serve`.
#[derive(Clone)]
pub struct LocalDeadLetters {
    objects: Arc<dyn ObjectStore>,
}

impl LocalDeadLetters {
    /// Dead letters kept in `objects`.
    pub fn new(objects: Arc<dyn ObjectStore>) -> Self {
        Self { objects }
    }
}

#[async_trait::async_trait]
impl DeadLetters for LocalDeadLetters {
    async fn send(&self, letter: &DeadLetter) -> Result<(), QueueError> {
        let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S%.6fZ");
        let key = ObjectKey::parse(&format!(
            "{LOCAL_PREFIX}{now}-{}.json",
            uuid::Uuid::new_v4().simple()
        ))
        .map_err(|e| QueueError::Body(e.to_string()))?;
        let bytes =
            serde_json::to_vec_pretty(letter).map_err(|e| QueueError::Body(e.to_string()))?;
        self.objects
            .put(&key, bytes, Condition::Absent)
            .await
            .map_err(|e| QueueError::Service {
                operation: "dead-letter",
                message: e.to_string(),
            })?;
        Ok(())
    }

    /// Newest first.
    async fn list(&self, max: usize) -> Result<Vec<KeptDeadLetter>, QueueError> {
        let failed = |e: crate::store::objects::ObjectError| QueueError::Service {
            operation: "dead-letter list",
            message: e.to_string(),
        };
        let mut letters = Vec::new();
        for key in self
            .objects
            .list(LOCAL_PREFIX)
            .await
            .map_err(failed)?
            .iter()
            .rev()
        {
            if letters.len() == max {
                break;
            }
            let Some((bytes, _)) = self.objects.get(key).await.map_err(failed)? else {
                continue;
            };
            if let Ok(letter) = serde_json::from_slice::<DeadLetter>(&bytes) {
                letters.push(KeptDeadLetter {
                    id: key.as_str().to_owned(),
                    letter,
                });
            }
        }
        Ok(letters)
    }

    async fn remove(&self, id: &str) -> Result<bool, QueueError> {
        let failed = |e: crate::store::objects::ObjectError| QueueError::Service {
            operation: "dead-letter remove",
            message: e.to_string(),
        };
        let Some(key) = ObjectKey::parse(id)
            .ok()
            .filter(|k| k.as_str().starts_with(LOCAL_PREFIX))
        else {
            return Ok(false);
        };
        if self.objects.get(&key).await.map_err(failed)?.is_none() {
            return Ok(false);
        }
        self.objects.delete(&key).await.map_err(failed)?;
        Ok(true)
    }
}

/// Where [`LocalDeadLetters`] keeps letters.
const LOCAL_PREFIX: &str = "dead-letters/";
