//! The work queue on Amazon SQS.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use sha2::{Digest, Sha256};

use super::{MessageId, QueueError, Receipt, Received, WorkItem, WorkQueue};

/// SQS takes at most ten messages per batch call.
const SQS_BATCH: usize = 10;

/// The most body bytes one batch call carries: SQS refuses a batch whose messages together pass
/// its payload limit (`BatchRequestTooLong`; 256 KiB before August 2025, 1 MiB since), so
/// batches are cut at the older, lower one.
const SQS_BATCH_BYTES: usize = 256 * 1024;

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

/// The items with their bodies in send order, cut into batches SQS takes: at most
/// [`SQS_BATCH`] messages and [`SQS_BATCH_BYTES`] of bodies each (a body alone larger than that
/// goes alone, for SQS to judge).
fn batches<'a>(
    items: &'a [WorkItem],
    bodies: &'a [String],
) -> Vec<Vec<(&'a WorkItem, &'a String)>> {
    let mut batches: Vec<Vec<(&WorkItem, &String)>> = Vec::new();
    let mut size = 0;
    for (item, body) in items.iter().zip(bodies) {
        let fits = batches
            .last()
            .is_some_and(|last| last.len() < SQS_BATCH && size + body.len() <= SQS_BATCH_BYTES);
        if !fits {
            batches.push(Vec::new());
            size = 0;
        }
        size += body.len();
        if let Some(last) = batches.last_mut() {
            last.push((item, body));
        }
    }
    batches
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
        let bodies = items
            .iter()
            .map(WorkItem::to_json)
            .collect::<Result<Vec<_>, _>>()?;
        for chunk in batches(&items, &bodies) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, (item, body)) in chunk.iter().enumerate() {
                let body = String::clone(body);
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
