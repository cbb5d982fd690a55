//! HR webhooks: a signed delivery from an HR system becomes queued work.
//!
//! [`accept`] is the whole of it: the signature and its timestamp are checked ([`signature`]),
//! the same delivery is refused a second time ([`replay`]), the body is parsed into worker
//! records ([`payload`]) and queued as [`crate::queue::WorkItem`]s. Any failure queues nothing
//! and says which HTTP status to answer with ([`WebhookError::status`]).

mod accept;
mod error;
mod headers;
pub mod payload;
pub mod replay;
pub mod signature;

pub use accept::{Accepted, accept};
pub use error::WebhookError;
pub use headers::Headers;
pub use payload::{Delivery, MAX_BODY_BYTES, PayloadFormat};
pub use replay::{InMemoryReplayCache, ObjectReplayCache, REPLAY_PREFIX, ReplayCache};
pub use signature::{DEFAULT_REPLAY_WINDOW, Scheme, Verified};
