//! Queue failures.

/// A queue operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The queue service refused or could not be reached.
    #[error("queue {operation} failed: {message}")]
    Service {
        /// `send`, `receive` or `delete`.
        operation: &'static str,
        /// The service's words.
        message: String,
    },
    /// Some messages of a batch were not queued.
    #[error("{failed} of {total} messages were not queued: {message}")]
    PartialSend {
        /// How many failed.
        failed: usize,
        /// How many were sent.
        total: usize,
        /// The first failure's words.
        message: String,
    },
    /// A message body is not a work item this version understands.
    #[error("message body is not a work item: {0}")]
    Body(String),
    /// A work item is larger than a message may be.
    #[error("a work item of {size} bytes is larger than the {limit} byte message limit")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The receipt is unknown (already deleted, or its message came back to the queue).
    #[error("receipt is not of a message in flight")]
    UnknownReceipt,
    /// The in-process queue's consumer side is gone.
    #[error("the in-process queue is closed")]
    Closed,
}
