//! Remembering deliveries already accepted, so the same one is refused while its timestamp is
//! still inside the replay window.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::Timestamp;

/// Where signatures of accepted deliveries are remembered until they expire. A signature covers
/// the body and timestamp, so the same signature means the same delivery.
pub trait ReplayCache: Send + Sync {
    /// Whether `signature` was recorded and has not expired at `now`; if not, records it until
    /// `expires_at`. Checking and recording are one step, so two copies racing in are told apart.
    fn seen(&self, signature: &str, now: Timestamp, expires_at: Timestamp) -> bool;

    /// Forgets `signature`: the delivery it recorded was not accepted after all (the queue
    /// failed), so the sender's retry must be let in.
    fn forget(&self, signature: &str);
}

/// A [`ReplayCache`] in this process's memory (one Lambda instance, or `tenure serve`).
#[derive(Debug, Default)]
pub struct InMemoryReplayCache {
    entries: Mutex<HashMap<String, Timestamp>>,
}

impl InMemoryReplayCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ReplayCache for InMemoryReplayCache {
    fn seen(&self, signature: &str, now: Timestamp, expires_at: Timestamp) -> bool {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, expiry| *expiry > now);
        if entries.contains_key(signature) {
            return true;
        }
        entries.insert(signature.to_owned(), expires_at);
        false
    }

    fn forget(&self, signature: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(signature);
    }
}
