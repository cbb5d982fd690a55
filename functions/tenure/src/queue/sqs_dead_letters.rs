//! The SQS dead-letter queue as a [`DeadLetters`]: the body as the message, the reason in an
//! attribute.

use aws_config::SdkConfig;
use aws_sdk_sqs::types::MessageAttributeValue;

use super::sqs::{deduplication_id, is_fifo, service};
use super::{DEAD_LETTER_REASON_ATTRIBUTE, DeadLetter, DeadLetters, KeptDeadLetter, QueueError};

/// How many receives a listing or a removal makes at most.
const PEEK_ROUNDS: usize = 10;
/// How long a removal holds what it received before giving it back, in seconds.
const HOLD_SECONDS: i32 = 30;
/// The reason of a message the queue's redrive policy moved (it carries none of its own).
const MOVED_BY_REDRIVE: &str = "failed on every try the work queue allows (QueueMaxReceiveCount); moved here by the queue's redrive policy";

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
