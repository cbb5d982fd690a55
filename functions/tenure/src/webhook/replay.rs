//! Remembering deliveries already accepted, so the same one is refused while its timestamp is
//! still inside the replay window: in this process's memory ([`InMemoryReplayCache`]), or in the
//! object store so every Lambda instance shares it ([`ObjectReplayCache`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore};

/// Where signatures of accepted deliveries are remembered until they expire, per connection. A
/// signature covers the body and timestamp, so the same signature means the same delivery.
#[async_trait]
pub trait ReplayCache: Send + Sync {
    /// Whether `signature` was recorded for `connection` and has not expired at `now`; if not,
    /// records it until `expires_at`. Checking and recording are one step, so of two copies
    /// racing in exactly one is told "not seen".
    async fn seen(
        &self,
        connection: &ConnectionId,
        signature: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<bool, ObjectError>;

    /// Forgets `signature`: the delivery it recorded was not accepted after all (the queue
    /// failed), so the sender's retry must be let in.
    async fn forget(&self, connection: &ConnectionId, signature: &str) -> Result<(), ObjectError>;
}

/// A [`ReplayCache`] in this process's memory (one Lambda instance, or `tenure serve`).
#[derive(Debug, Default)]
pub struct InMemoryReplayCache {
    entries: Mutex<HashMap<(ConnectionId, String), Timestamp>>,
}

impl InMemoryReplayCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl ReplayCache for InMemoryReplayCache {
    async fn seen(
        &self,
        connection: &ConnectionId,
        signature: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<bool, ObjectError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, expiry| *expiry > now);
        let entry = (connection.clone(), signature.to_owned());
        if entries.contains_key(&entry) {
            return Ok(true);
        }
        entries.insert(entry, expires_at);
        Ok(false)
    }

    async fn forget(&self, connection: &ConnectionId, signature: &str) -> Result<(), ObjectError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&(connection.clone(), signature.to_owned()));
        Ok(())
    }
}

/// The folder of the object store under which [`ObjectReplayCache`] keeps its entries (an S3
/// lifecycle rule on it may expire them after a day; expired entries are harmless meanwhile).
pub const REPLAY_PREFIX: &str = "webhook-replay";

/// How many times [`ObjectReplayCache::seen`] starts over when an entry vanishes under it.
const ATTEMPTS: usize = 4;

/// A [`ReplayCache`] in an [`ObjectStore`] (S3 in AWS), shared by every instance that uses the
/// store. Each delivery is one object, `webhook-replay/<connection>/<sha256 of the signature>`
/// (the signature itself is never stored), holding its expiry. Recording is a create-only
/// write, so of two instances racing in with the same delivery only one succeeds; an expired
/// entry is taken over by a write conditioned on the version read.
#[derive(Clone)]
pub struct ObjectReplayCache {
    objects: Arc<dyn ObjectStore>,
}

impl ObjectReplayCache {
    /// A cache kept in `objects`.
    pub fn new(objects: Arc<dyn ObjectStore>) -> Self {
        Self { objects }
    }

    fn key(connection: &ConnectionId, signature: &str) -> Result<ObjectKey, ObjectError> {
        let digest = hex::encode(Sha256::digest(signature.as_bytes()));
        let text = format!("{REPLAY_PREFIX}/{connection}/{digest}");
        ObjectKey::parse(&text).map_err(|e| ObjectError::Unavailable {
            operation: "write",
            target: format!("the replay entry of connection {connection}"),
            message: e.to_string(),
        })
    }
}

impl std::fmt::Debug for ObjectReplayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReplayCache").finish_non_exhaustive()
    }
}

/// An entry is expired when its expiry is not after `now`; an entry that cannot be read as an
/// instant (damaged) counts as expired, so it is replaced rather than blocking forever.
fn expired(bytes: &[u8], now: Timestamp) -> bool {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.trim().parse::<Timestamp>().ok())
        .is_none_or(|expiry| expiry <= now)
}

#[async_trait]
impl ReplayCache for ObjectReplayCache {
    async fn seen(
        &self,
        connection: &ConnectionId,
        signature: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<bool, ObjectError> {
        let key = Self::key(connection, signature)?;
        let body = || expires_at.to_string().into_bytes();
        for _ in 0..ATTEMPTS {
            match self.objects.put(&key, body(), Condition::Absent).await {
                Ok(_) => return Ok(false),
                Err(ObjectError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
            let Some((bytes, version)) = self.objects.get(&key).await? else {
                // Forgotten between our write and our read: try to create it again.
                continue;
            };
            if !expired(&bytes, now) {
                return Ok(true);
            }
            match self
                .objects
                .put(&key, body(), Condition::Matches(version))
                .await
            {
                Ok(_) => return Ok(false),
                // Another copy took over the expired entry first: it is that copy's delivery.
                Err(ObjectError::Conflict { .. }) => return Ok(true),
                Err(ObjectError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        // The entry keeps appearing and vanishing: another copy is in flight; refuse this one.
        Ok(true)
    }

    async fn forget(&self, connection: &ConnectionId, signature: &str) -> Result<(), ObjectError> {
        self.objects
            .delete(&Self::key(connection, signature)?)
            .await
    }
}
