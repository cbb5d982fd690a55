//! Why a delivery was refused, and the HTTP status that says so.

use crate::queue::QueueError;
use crate::store::objects::ObjectError;

/// A refused webhook delivery. Messages name the header, limit or JSON path at fault and never
/// the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A header the signature scheme needs is absent.
    #[error("the {name} header is missing")]
    MissingHeader {
        /// The header's name.
        name: &'static str,
    },
    /// A header is present but cannot be read.
    #[error("the {name} header is malformed: {reason}")]
    MalformedHeader {
        /// The header's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not match the body, the timestamp and the connection's key.
    #[error("the signature does not match the body and timestamp for this connection's key")]
    BadSignature,
    /// The timestamp is further in the past than the replay window allows.
    #[error(
        "the timestamp is {age_seconds} s old, beyond the {window_seconds} s replay window; send a fresh delivery"
    )]
    Stale {
        /// How old the timestamp is.
        age_seconds: i64,
        /// The window.
        window_seconds: u64,
    },
    /// The timestamp is further in the future than the replay window allows.
    #[error(
        "the timestamp is {ahead_seconds} s in the future, beyond the {window_seconds} s replay window; check the sender's clock"
    )]
    Future {
        /// How far ahead the timestamp is.
        ahead_seconds: i64,
        /// The window.
        window_seconds: u64,
    },
    /// This exact delivery (same signature) was accepted before, within the window.
    #[error("this delivery was already accepted (replay)")]
    Replay,
    /// The body is larger than [`super::MAX_BODY_BYTES`].
    #[error("the body is {size} bytes, more than the {limit} byte limit")]
    TooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not a payload of the expected format.
    #[error("malformed payload at {path}: {message}")]
    Malformed {
        /// Where, as a JSON path such as `$.events[2].worker`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The work could not be queued; the sender should retry.
    #[error("the work could not be queued: {0}")]
    Queue(#[from] QueueError),
    /// Whether the delivery was seen before could not be checked; the sender should retry.
    #[error("could not check whether this delivery was accepted before: {0}")]
    ReplayCache(#[source] ObjectError),
    /// The guard held the delivery but it could not be kept for approval; the sender should
    /// retry.
    #[error("could not keep the delivery for approval: {0}")]
    Guard(String),
}

impl WebhookError {
    /// The HTTP status to answer with: 401 for authentication and replay, 413 for size, 400 for a
    /// malformed payload, 503 when the queue or the replay cache failed (the sender retries).
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingHeader { .. }
            | Self::MalformedHeader { .. }
            | Self::BadSignature
            | Self::Stale { .. }
            | Self::Future { .. }
            | Self::Replay => 401,
            Self::TooLarge { .. } => 413,
            Self::Malformed { .. } => 400,
            Self::Queue(_) | Self::ReplayCache(_) | Self::Guard(_) => 503,
        }
    }

    pub(crate) fn malformed(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Malformed {
            path: path.into(),
            message: message.into(),
        }
    }
}
