//! The deployment's key ring: random keys Tenure makes for itself (to encrypt session cookies,
//! to authenticate compiled plugin code, to hash API tokens), one secret per
//! [`KeyPurpose`] in the secret store, `tenure/_deployment/<purpose>`.
//!
//! A purpose's secret holds up to two versioned keys, newest first:
//! `{"format":1,"keys":[{"id":2,"created_at":…,"key":"<base64>"},{"id":1,…}]}`. The newest is
//! [`KeySet::current`] (what new values are sealed with); the one before it,
//! [`KeySet::previous`], is still accepted, so a [`KeyRing::rotate`] never invalidates what was
//! sealed a moment before; the one before that is dropped. The first use of a purpose creates
//! its secret (a create-only write: of two instances starting at once, one key wins and both
//! use it).
//!
//! Nothing lives only in one instance: every Lambda instance reads the same secret. Each keeps
//! what it read for [`KeyRing::CACHE_FOR`], and reads again at once when asked for a key id it
//! does not know ([`KeyRing::key`], [`KeyRing::reread`]) — then not again for that reason within
//! [`KeyRing::REREAD_AT_MOST_EVERY`], so made-up key ids cannot turn every request into a
//! secret-store read.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::{Deserialize, Serialize};

use crate::store::Version;
use crate::store::secrets::{KeyPurpose, SecretError, SecretName, SecretStore};

/// The bytes of every key (enough for AES-256 and HMAC-SHA256 keys derived from it, and for
/// the `cookie` crate's master key).
pub const KEY_BYTES: usize = 64;

/// The file format this version of Tenure writes and reads.
const FORMAT: u32 = 1;

/// How many times a rotation or a first creation reads again after losing a race.
const MAX_ATTEMPTS: usize = 5;

/// A key's number within its purpose: 1 for the first, one more on each rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyId(pub u32);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One key of the ring. Its bytes are printed by neither `Debug` nor `Display`.
#[derive(Clone)]
pub struct DeploymentKey {
    id: KeyId,
    created_at: Timestamp,
    material: Arc<SecretSlice<u8>>,
}

impl DeploymentKey {
    /// The key's number.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// When it was made.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// The key's [`KEY_BYTES`] bytes, for the crate that uses them (an HMAC, a cookie jar).
    pub fn expose(&self) -> &[u8] {
        self.material.expose_secret()
    }
}

impl fmt::Debug for DeploymentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeploymentKey")
            .field("id", &self.id)
            .field("created_at", &self.created_at)
            .field("material", &"[REDACTED]")
            .finish()
    }
}

/// A purpose's keys: the current one and, after a rotation, the one before it.
#[derive(Debug, Clone)]
pub struct KeySet {
    purpose: KeyPurpose,
    current: DeploymentKey,
    previous: Option<DeploymentKey>,
}

impl KeySet {
    /// What the keys are for.
    pub fn purpose(&self) -> KeyPurpose {
        self.purpose
    }

    /// The key new values are sealed with.
    pub fn current(&self) -> &DeploymentKey {
        &self.current
    }

    /// The key before the last rotation, still accepted.
    pub fn previous(&self) -> Option<&DeploymentKey> {
        self.previous.as_ref()
    }

    /// The accepted keys, current first.
    pub fn accepted(&self) -> impl Iterator<Item = &DeploymentKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }

    /// The accepted key with this id.
    pub fn get(&self, id: KeyId) -> Option<&DeploymentKey> {
        self.accepted().find(|key| key.id == id)
    }
}

/// The key ring could not give a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyRingError {
    /// The secret store failed.
    #[error("the deployment's keys could not be read or written: {0}")]
    Secrets(#[from] SecretError),
    /// The stored keys are in a form this version of Tenure cannot read.
    #[error("secret {name} does not hold keys Tenure can read: {reason}")]
    Unreadable {
        /// The secret.
        name: SecretName,
        /// What is wrong (never a key).
        reason: String,
    },
    /// Other writers kept winning the race to write the keys.
    #[error("secret {name} kept changing while Tenure wrote it: try again")]
    Contended {
        /// The secret.
        name: SecretName,
    },
}

/// The deployment's keys, read from the secret store and cached for a while. One per process,
/// shared by every request (it is in [`crate::service::Services`]).
pub struct KeyRing {
    secrets: Arc<dyn SecretStore>,
    cache: Mutex<HashMap<KeyPurpose, Cached>>,
}

struct Cached {
    keys: Arc<KeySet>,
    read_at: Instant,
    /// When a value no cached key opened last made the keys be read again.
    reread_at: Option<Instant>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing").finish_non_exhaustive()
    }
}

impl KeyRing {
    /// How long keys read from the store are used before they are read again (a rotation
    /// reaches every instance within this time; until then they seal with the previous key,
    /// which the others still accept).
    pub const CACHE_FOR: Duration = Duration::from_secs(300);

    /// The shortest time between two reads caused by an unknown key id.
    pub const REREAD_AT_MOST_EVERY: Duration = Duration::from_secs(10);

    /// A key ring over `secrets`.
    pub fn new(secrets: Arc<dyn SecretStore>) -> Self {
        Self {
            secrets,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The purpose's keys; made and stored on first use.
    pub async fn keys(&self, purpose: KeyPurpose) -> Result<Arc<KeySet>, KeyRingError> {
        if let Some(keys) = self.cached(purpose, Self::CACHE_FOR) {
            return Ok(keys);
        }
        self.read(purpose).await
    }

    /// The accepted key with this id; reads the store again (at most every
    /// [`Self::REREAD_AT_MOST_EVERY`]) when the cached keys do not have it, since another
    /// instance may have rotated. `None` when the id is not (or no longer) accepted.
    pub async fn key(
        &self,
        purpose: KeyPurpose,
        id: KeyId,
    ) -> Result<Option<DeploymentKey>, KeyRingError> {
        let keys = self.keys(purpose).await?;
        if let Some(key) = keys.get(id) {
            return Ok(Some(key.clone()));
        }
        Ok(self.reread(purpose).await?.get(id).cloned())
    }

    /// Reads the purpose's keys again, unless that was done for this reason within
    /// [`Self::REREAD_AT_MOST_EVERY`]: for a value that none of the cached keys opens, which a
    /// key rotated by another instance may have sealed.
    pub async fn reread(&self, purpose: KeyPurpose) -> Result<Arc<KeySet>, KeyRingError> {
        {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(cached) = cache.get_mut(&purpose) {
                let recent = cached
                    .reread_at
                    .is_some_and(|at| at.elapsed() < Self::REREAD_AT_MOST_EVERY);
                if recent {
                    return Ok(Arc::clone(&cached.keys));
                }
                cached.reread_at = Some(Instant::now());
            }
        }
        let keys = self.read(purpose).await?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cached) = cache.get_mut(&purpose) {
            cached.reread_at = Some(Instant::now());
        }
        Ok(keys)
    }

    /// Makes a new current key; the current one becomes the previous one (still accepted) and
    /// the one before is dropped.
    pub async fn rotate(&self, purpose: KeyPurpose) -> Result<Arc<KeySet>, KeyRingError> {
        let name = SecretName::for_deployment_key(purpose);
        for _ in 0..MAX_ATTEMPTS {
            let Some((stored, version)) = self.load(&name).await? else {
                match self.create(&name).await {
                    Err(KeyRingError::Secrets(SecretError::Conflict { .. })) => continue,
                    Err(error) => return Err(error),
                    Ok(_) => continue,
                }
            };
            let current = stored.keys.first().map_or(KeyId(0), |key| key.id);
            let mut keys = vec![StoredKey::new(KeyId(current.0.saturating_add(1)))];
            keys.extend(stored.keys.into_iter().take(1));
            let rotated = Stored {
                format: FORMAT,
                keys,
            };
            match self
                .secrets
                .replace(&name, &rotated.encode(), &version)
                .await
            {
                Ok(_) => {
                    let keys = Arc::new(rotated.key_set(&name, purpose)?);
                    self.remember(purpose, &keys);
                    return Ok(keys);
                }
                Err(SecretError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(KeyRingError::Contended { name })
    }

    fn cached(&self, purpose: KeyPurpose, fresh_for: Duration) -> Option<Arc<KeySet>> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(&purpose)
            .filter(|cached| cached.read_at.elapsed() < fresh_for)
            .map(|cached| Arc::clone(&cached.keys))
    }

    fn remember(&self, purpose: KeyPurpose, keys: &Arc<KeySet>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(
            purpose,
            Cached {
                keys: Arc::clone(keys),
                read_at: Instant::now(),
                reread_at: None,
            },
        );
    }

    /// Reads the keys from the store, creating them when there are none.
    async fn read(&self, purpose: KeyPurpose) -> Result<Arc<KeySet>, KeyRingError> {
        let name = SecretName::for_deployment_key(purpose);
        for _ in 0..MAX_ATTEMPTS {
            let stored = match self.load(&name).await? {
                Some((stored, _)) => stored,
                None => match self.create(&name).await {
                    Ok(stored) => stored,
                    // Another instance made them first: use theirs.
                    Err(KeyRingError::Secrets(SecretError::Conflict { .. })) => continue,
                    Err(error) => return Err(error),
                },
            };
            let keys = Arc::new(stored.key_set(&name, purpose)?);
            self.remember(purpose, &keys);
            return Ok(keys);
        }
        Err(KeyRingError::Contended { name })
    }

    async fn load(&self, name: &SecretName) -> Result<Option<(Stored, Version)>, KeyRingError> {
        let Some((value, version)) = self.secrets.get(name).await? else {
            return Ok(None);
        };
        let stored: Stored = serde_json::from_str(value.expose_secret()).map_err(|e| {
            KeyRingError::Unreadable {
                name: name.clone(),
                // The position only: serde's message could quote part of a key.
                reason: format!(
                    "not the key ring's JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            }
        })?;
        if stored.format != FORMAT {
            return Err(KeyRingError::Unreadable {
                name: name.clone(),
                reason: format!("format {} is not {FORMAT}", stored.format),
            });
        }
        Ok(Some((stored, version)))
    }

    async fn create(&self, name: &SecretName) -> Result<Stored, KeyRingError> {
        let stored = Stored {
            format: FORMAT,
            keys: vec![StoredKey::new(KeyId(1))],
        };
        self.secrets.put_new(name, &stored.encode()).await?;
        Ok(stored)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    format: u32,
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredKey {
    id: KeyId,
    created_at: Timestamp,
    #[serde(serialize_with = "expose")]
    key: SecretString,
}

impl StoredKey {
    fn new(id: KeyId) -> Self {
        let mut bytes = secrecy::zeroize::Zeroizing::new([0u8; KEY_BYTES]);
        rand::fill(&mut bytes[..]);
        Self {
            id,
            created_at: Timestamp::now(),
            key: SecretString::from(STANDARD.encode(&bytes[..])),
        }
    }
}

/// Writes a key as its value: only ever into the secret store.
fn expose<S: serde::Serializer>(key: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(key.expose_secret())
}

impl Stored {
    fn encode(&self) -> SecretString {
        SecretString::from(serde_json::to_string(self).unwrap_or_default())
    }

    fn key_set(&self, name: &SecretName, purpose: KeyPurpose) -> Result<KeySet, KeyRingError> {
        let unreadable = |reason: String| KeyRingError::Unreadable {
            name: name.clone(),
            reason,
        };
        let mut keys = self.keys.iter().map(|stored| {
            let bytes = STANDARD
                .decode(stored.key.expose_secret())
                .map_err(|_| unreadable(format!("key {} is not base64", stored.id)))?;
            if bytes.len() != KEY_BYTES {
                return Err(unreadable(format!(
                    "key {} has {} bytes, not {KEY_BYTES}",
                    stored.id,
                    bytes.len()
                )));
            }
            Ok(DeploymentKey {
                id: stored.id,
                created_at: stored.created_at,
                material: Arc::new(SecretSlice::from(bytes)),
            })
        });
        let current = keys
            .next()
            .ok_or_else(|| unreadable("it holds no key".to_owned()))??;
        let previous = keys.next().transpose()?;
        Ok(KeySet {
            purpose,
            current,
            previous,
        })
    }
}
