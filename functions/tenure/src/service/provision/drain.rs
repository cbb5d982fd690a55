//! `tenure serve`'s consumer: the work queue drained in the process.

use std::time::Duration;

use super::Deadline;
use super::sqs::{Message, Settled, by_connection, dead_letter, settle};
use crate::queue::{QueueError, Receipt};
use crate::service::Services;

/// Why draining stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DrainError {
    /// Receiving from the queue failed.
    #[error("cannot receive work: {0}")]
    Receive(#[source] QueueError),
}

/// Receives up to `max_batch` messages from `services.queue` (waiting at most `wait` for the
/// first), provisions them by connection as [`super::handle_sqs`] does, and deletes what is done
/// or dead-lettered; what may succeed later stays, to come back after the visibility timeout.
/// Returns how many messages were deleted.
pub async fn drain(
    services: &Services,
    max_batch: usize,
    wait: Duration,
) -> Result<usize, DrainError> {
    let received = services
        .queue
        .receive(max_batch, wait)
        .await
        .map_err(DrainError::Receive)?;
    let mut done: Vec<Receipt> = Vec::new();
    let mut messages = Vec::new();
    let mut receipts = Vec::new();
    for message in received {
        let id = message.id.0;
        match message.item {
            Ok(item) => {
                receipts.push((id.clone(), message.receipt));
                messages.push(Message {
                    id,
                    body: message.body,
                    item,
                });
            }
            Err(error) => {
                let reason = format!("message {id}: {error}");
                if dead_letter(services, &id, &message.body, &reason).await {
                    done.push(message.receipt);
                }
            }
        }
    }
    for group in by_connection(messages) {
        if let Settled::Done = settle(services, &group, Deadline::none()).await {
            for message in &group {
                if let Some((_, receipt)) = receipts.iter().find(|(id, _)| *id == message.id) {
                    done.push(receipt.clone());
                }
            }
        }
    }
    let mut deleted = 0;
    for receipt in done {
        match services.queue.delete(&receipt).await {
            Ok(()) => deleted += 1,
            // The message comes back; provisioning it again changes nothing twice.
            Err(error) => tracing::warn!(%error, "cannot delete a finished message"),
        }
    }
    Ok(deleted)
}
