//! Where messages go that can never be handled (a body that is not a work item, an unknown
//! connection, a connection that needs re-linking…), each with its reason: an SQS dead-letter
//! queue in AWS ([`SqsDeadLetters`]), objects under `dead-letters/` locally
//! ([`LocalDeadLetters`]).

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_sqs::types::MessageAttributeValue;
use serde::{Deserialize, Serialize};

use super::QueueError;
use super::sqs::{deduplication_id, is_fifo, service};
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

/// An SQS dead-letter queue: the body as the message, the reason in its
/// [`DEAD_LETTER_REASON_ATTRIBUTE`] attribute. On a FIFO queue (URL ending in `.fifo`) each
/// letter is a message group of its own, deduplicated by the SHA-256 of body and reason.
#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsDeadLetters {
    /// The dead-letter queue at `queue_url`.
    pub fn new(config: &SdkConfig, queue_url: impl Into<String>) -> Self {
        Self {
            client: aws_sdk_sqs::Client::new(config),
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait::async_trait]
impl DeadLetters for SqsDeadLetters {
    async fn send(&self, letter: &DeadLetter) -> Result<(), QueueError> {
        let reason = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&letter.reason)
            .build()
            .map_err(|e| service("dead-letter", e))?;
        let mut request = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(&letter.body)
            .message_attributes(DEAD_LETTER_REASON_ATTRIBUTE, reason);
        if is_fifo(&self.queue_url) {
            // A group of its own: dead letters have no order to keep, and a FIFO receive shows
            // only the head of each group, so a person listing them sees every one.
            let id = deduplication_id(&format!("{}\n{}", letter.body, letter.reason));
            request = request
                .message_group_id(format!("dead-letter-{}", &id[..id.len().min(32)]))
                .message_deduplication_id(id);
        }
        request
            .send()
            .await
            .map_err(|e| service("dead-letter", e))?;
        Ok(())
    }

    /// Peeks at the queue (a visibility timeout of zero, so nothing is held back from
    /// anyone) until a receive brings nothing new. On a FIFO queue a receive gives only the
    /// oldest messages of each message group: letters Tenure sends are each a group of their
    /// own, but messages the redrive policy moved keep their lane's group, so of those only the
    /// oldest of each lane are seen until they are retried.
    async fn list(&self, max: usize) -> Result<Vec<KeptDeadLetter>, QueueError> {
        let mut letters: Vec<KeptDeadLetter> = Vec::new();
        for _ in 0..PEEK_ROUNDS {
            let out = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(0)
                .message_attribute_names(DEAD_LETTER_REASON_ATTRIBUTE)
                .send()
                .await
                .map_err(|e| service("dead-letter list", e))?;
            let before = letters.len();
            for m in out.messages() {
                let id = m.message_id().unwrap_or_default();
                if letters.iter().any(|l| l.id == id) {
                    continue;
                }
                let reason = m
                    .message_attributes()
                    .and_then(|a| a.get(DEAD_LETTER_REASON_ATTRIBUTE))
                    .and_then(|v| v.string_value())
                    .unwrap_or(MOVED_BY_REDRIVE);
                letters.push(KeptDeadLetter {
                    id: id.to_owned(),
                    letter: DeadLetter::new(
                        Some(id.to_owned()),
                        m.body().unwrap_or_default(),
                        reason,
                    ),
                });
            }
            if letters.len() == before || letters.len() >= max {
                break;
            }
        }
        letters.truncate(max);
        Ok(letters)
    }

    /// Receives (holding what it receives for a short while) until the message `id` comes,
    /// deletes it and gives the others back at once.
    async fn remove(&self, id: &str) -> Result<bool, QueueError> {
        for _ in 0..PEEK_ROUNDS {
            let out = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(HOLD_SECONDS)
                .send()
                .await
                .map_err(|e| service("dead-letter receive", e))?;
            if out.messages().is_empty() {
                return Ok(false);
            }
            let mut found = false;
            for m in out.messages() {
                let receipt = m.receipt_handle().unwrap_or_default();
                if m.message_id() == Some(id) {
                    self.client
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(receipt)
                        .send()
                        .await
                        .map_err(|e| service("dead-letter delete", e))?;
                    found = true;
                } else {
                    self.client
                        .change_message_visibility()
                        .queue_url(&self.queue_url)
                        .receipt_handle(receipt)
                        .visibility_timeout(0)
                        .send()
                        .await
                        .map_err(|e| service("dead-letter give back", e))?;
                }
            }
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// How many receives a listing or a removal makes at most.
const PEEK_ROUNDS: usize = 10;
/// How long a removal holds what it received before giving it back, in seconds.
const HOLD_SECONDS: i32 = 30;
/// The reason of a message the queue's redrive policy moved (it carries none of its own).
const MOVED_BY_REDRIVE: &str = "failed on every try the work queue allows (QueueMaxReceiveCount); moved here by the queue's redrive policy";

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
