//! The work queue on Amazon SQS.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use sha2::{Digest, Sha256};

use super::{MessageId, QueueError, Receipt, Received, WorkItem, WorkQueue};

/// SQS takes at most ten messages per batch call.
const SQS_BATCH: usize = 10;

/// A [`WorkQueue`] on one SQS queue. Build the configuration with
/// [`crate::store::AwsSettings::load`]. On a FIFO queue (its URL ends in `.fifo`) each message
/// goes in its item's [`WorkItem::message_group`] (a lane of its connection) with
/// [`WorkItem::deduplication_id`] (the SHA-256 of its body; a continuation's from the message it
/// continues), so a duplicate delivery within SQS's five-minute window is queued once.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    /// The queue at `queue_url`.
    pub fn new(config: &SdkConfig, queue_url: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            queue_url: queue_url.into(),
        }
    }

    /// The queue's URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Whether the queue is a FIFO queue.
    pub fn is_fifo(&self) -> bool {
        is_fifo(&self.queue_url)
    }
}

/// Whether the queue at `queue_url` is a FIFO queue (SQS requires their names to end in
/// `.fifo`).
pub(crate) fn is_fifo(queue_url: &str) -> bool {
    queue_url.ends_with(".fifo")
}

/// The deduplication id of a body: its SHA-256, hex (64 characters, within SQS's 128).
pub(crate) fn deduplication_id(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

pub(crate) fn service(operation: &'static str, error: impl std::error::Error) -> QueueError {
    QueueError::Service {
        operation,
        message: aws_sdk_sqs::error::DisplayErrorContext(error).to_string(),
    }
}

#[async_trait::async_trait]
impl WorkQueue for SqsQueue {
    async fn send(&self, items: Vec<WorkItem>) -> Result<Vec<MessageId>, QueueError> {
        let mut ids = Vec::with_capacity(items.len());
        for chunk in items.chunks(SQS_BATCH) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, item) in chunk.iter().enumerate() {
                let body = item.to_json()?;
                let mut entry = SendMessageBatchRequestEntry::builder().id(i.to_string());
                if self.is_fifo() {
                    entry = entry
                        .message_group_id(item.message_group())
                        .message_deduplication_id(item.deduplication_id(&body));
                }
                entries.push(
                    entry
                        .message_body(body)
                        .build()
                        .map_err(|e| service("send", e))?,
                );
            }
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| service("send", e))?;
            if let Some(first) = out.failed().first() {
                return Err(QueueError::PartialSend {
                    failed: out.failed().len(),
                    total: chunk.len(),
                    message: first.message().unwrap_or(first.code()).to_owned(),
                });
            }
            let mut successful: Vec<_> = out.successful().to_vec();
            successful.sort_by_key(|s| s.id().parse::<usize>().unwrap_or(usize::MAX));
            ids.extend(
                successful
                    .into_iter()
                    .map(|s| MessageId(s.message_id().to_owned())),
            );
        }
        Ok(ids)
    }

    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Received>, QueueError> {
        let max = max.clamp(1, SQS_BATCH) as i32;
        let wait = wait.as_secs().min(20) as i32;
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait)
            .send()
            .await
            .map_err(|e| service("receive", e))?;
        Ok(out
            .messages()
            .iter()
            .map(|m| Received {
                id: MessageId(m.message_id().unwrap_or_default().to_owned()),
                receipt: Receipt(m.receipt_handle().unwrap_or_default().to_owned()),
                item: WorkItem::from_json(m.body().unwrap_or_default()),
                body: m.body().unwrap_or_default().to_owned(),
            })
            .collect())
    }

    async fn delete(&self, receipt: &Receipt) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(&receipt.0)
            .send()
            .await
            .map_err(|e| service("delete", e))?;
        Ok(())
    }
}
