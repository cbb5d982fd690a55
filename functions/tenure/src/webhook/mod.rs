//! HR webhooks: a signed delivery from an HR system becomes queued work.
//!
//! [`accept`] is the whole of it: the signature and its timestamp are checked ([`signature`]),
//! the same delivery is refused a second time ([`replay`]), the body is parsed into worker
//! records ([`payload`]), judged as a whole by the mass-change guard ([`WholeChangeGuard`]: held
//! for approval when it takes too much away) and queued as [`crate::queue::WorkItem`]s. Any
//! failure queues nothing and says which HTTP status to answer with ([`WebhookError::status`]).
//!
//! # Files
//!
//! - `signature`: HMAC-SHA256 over the raw body and a timestamp, with the generic `X-Tenure-*`
//!   and BambooHR headers (`headers`) and the replay window.
//! - `replay`: [`ReplayCache`], per connection: [`InMemoryReplayCache`], and
//!   [`ObjectReplayCache`] shared by every instance through the object store under
//!   `webhook-replay/<connection>/<sha256 of signature>`: create-only, an expired entry taken over
//!   by compare-and-swap.
//! - `payload`: generic events and BambooHR employees through the HR JSON record parsing; errors
//!   with JSON paths; the body limit.
//! - `accept`: verify → parse → judge → queue (or hold), or a refusal with its HTTP status
//!   (`error`); [`read_signature`], the checks before the key is read.
//!
//! An unknown connection is answered exactly as a wrong signature (401, the
//! [`WebhookError::BadSignature`] message): a caller cannot learn which connections exist.

mod accept;
mod error;
mod headers;
pub mod payload;
pub mod replay;
pub mod signature;

pub use accept::{Accepted, Held, WholeChangeGuard, accept, read_signature};
pub use error::WebhookError;
pub use headers::Headers;
pub use payload::{Delivery, MAX_BODY_BYTES, PayloadFormat};
pub use replay::{InMemoryReplayCache, ObjectReplayCache, REPLAY_PREFIX, ReplayCache};
pub use signature::{DEFAULT_REPLAY_WINDOW, Presented, Scheme, Verified};
