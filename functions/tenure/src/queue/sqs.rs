//! The work queue on Amazon SQS.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::{MessageId, QueueError, Receipt, Received, WorkItem, WorkQueue};

/// SQS takes at most ten messages per batch call.
const SQS_BATCH: usize = 10;

/// A [`WorkQueue`] on one SQS queue. Build the configuration with
/// [`crate::store::AwsSettings::load`].
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
}

fn service(operation: &'static str, error: impl std::error::Error) -> QueueError {
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
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(item.to_json()?)
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
