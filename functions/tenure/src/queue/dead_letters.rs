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

/// Where dead letters go.
#[async_trait::async_trait]
pub trait DeadLetters: Send + Sync {
    /// Keeps the letter; an error means it was not kept (leave the message on its queue).
    async fn send(&self, letter: &DeadLetter) -> Result<(), QueueError>;
}

/// An SQS dead-letter queue: the body as the message, the reason in its
/// [`DEAD_LETTER_REASON_ATTRIBUTE`] attribute. On a FIFO queue (URL ending in `.fifo`) every
/// letter goes in one message group, deduplicated by the SHA-256 of body and reason.
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
            request = request
                .message_group_id("dead-letters")
                .message_deduplication_id(deduplication_id(&format!(
                    "{}\n{}",
                    letter.body, letter.reason
                )));
        }
        request
            .send()
            .await
            .map_err(|e| service("dead-letter", e))?;
        Ok(())
    }
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
            "dead-letters/{now}-{}.json",
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
}
