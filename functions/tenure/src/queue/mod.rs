//! The work queue between the webhook and provisioning: SQS on AWS ([`SqsQueue`]), a channel in
//! one process for `tenure serve` ([`InProcessQueue`]); and where messages that can never be
//! handled go, with their reason ([`DeadLetters`]).
//!
//! Messages are at-least-once: a message received and not deleted comes back after its
//! visibility timeout, so a consumer deletes only what it finished. Provisioning is convergent,
//! so a message handled twice changes nothing twice.
//!
//! # Files
//!
//! - `item`: [`WorkItem`], versioned JSON, split under the message limit and by lane
//!   ([`PER_TENANT_LANES`], [`lane_of`], message groups `<connection>/<lane>`).
//! - `sqs`: [`SqsQueue`] on Amazon SQS; on a `.fifo` queue, the message group and a body-hash
//!   deduplication id.
//! - `in_process`: [`InProcessQueue`] for `tenure serve`, with a visibility timeout as on SQS.
//! - `dead_letters`: [`DeadLetters`], kept locally as objects; `sqs_dead_letters` keeps them on an
//!   SQS queue with the `tenure-reason` attribute.
//!
//! `sqs` and `sqs_dead_letters` are built with the `aws` feature (on by default).
//! - `error`: what queueing fails with.

mod dead_letters;
mod error;
mod in_process;
mod item;
#[cfg(feature = "aws")]
mod sqs;
#[cfg(feature = "aws")]
mod sqs_dead_letters;

use std::time::Duration;

pub use dead_letters::{
    DEAD_LETTER_REASON_ATTRIBUTE, DeadLetter, DeadLetters, KeptDeadLetter, LocalDeadLetters,
};
pub use error::QueueError;
pub use in_process::InProcessQueue;
pub use item::{
    Continuation, MAX_MESSAGE_BYTES, MessagePart, PER_TENANT_LANES, QueuedWorker,
    WORK_ITEM_VERSION, WorkItem, lane_among, lane_of,
};
#[cfg(feature = "aws")]
pub use sqs::SqsQueue;
#[cfg(feature = "aws")]
pub use sqs_dead_letters::SqsDeadLetters;

/// The queue's id for a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(pub String);

/// What a consumer gives back to delete a message it received (SQS's receipt handle).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Receipt(pub String);

/// A message as received.
#[derive(Debug)]
pub struct Received {
    /// Its id.
    pub id: MessageId,
    /// What deletes it.
    pub receipt: Receipt,
    /// The work, or why the body could not be read (a poison message: let it go to the
    /// dead-letter queue).
    pub item: Result<WorkItem, QueueError>,
    /// The body as received (what a dead letter keeps).
    pub body: String,
}

/// A queue of [`WorkItem`]s.
#[async_trait::async_trait]
pub trait WorkQueue: Send + Sync {
    /// Queues the items, all or nothing as far as the queue allows; returns their ids in order.
    async fn send(&self, items: Vec<WorkItem>) -> Result<Vec<MessageId>, QueueError>;

    /// Up to `max` messages, waiting at most `wait` for the first.
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Received>, QueueError>;

    /// Deletes a received message: its work is done.
    async fn delete(&self, receipt: &Receipt) -> Result<(), QueueError>;
}
