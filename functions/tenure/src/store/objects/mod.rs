//! Objects that are neither secrets nor connection records: plugins (WebAssembly and compiled
//! code), each connection's mapping settings, HR exports, directory caches, audit trails, and
//! the webhook replay cache. S3 in AWS ([`S3ObjectStore`]), owner-only files locally
//! ([`LocalObjectStore`]).
//!
//! Keys are `/`-separated paths of plain segments ([`ObjectKey`]). Writes name a [`Condition`]:
//! unconditional, create-only, or replace-only-this-version, so concurrent writers (Lambda
//! instances, threads of `tenure serve`) never overwrite each other's work unseen.

mod error;
mod key;
mod local;
#[cfg(feature = "aws")]
mod s3;

use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::store::Version;

pub use error::ObjectError;
pub use key::{InvalidObjectKey, ObjectKey};
pub use local::LocalObjectStore;
#[cfg(feature = "aws")]
pub use s3::S3ObjectStore;

/// When a write may happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Always: create or overwrite.
    Always,
    /// Only if no object has the key ([`ObjectError::Conflict`] otherwise).
    Absent,
    /// Only if the object is still at this version ([`ObjectError::Conflict`] otherwise,
    /// [`ObjectError::NotFound`] when it is gone).
    Matches(Version),
}

/// A store of objects with conditional writes.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// The object's bytes and version; `None` when there is none.
    async fn get(&self, key: &ObjectKey) -> Result<Option<(Vec<u8>, Version)>, ObjectError>;

    /// Writes the object if `condition` holds and returns its new version.
    async fn put(
        &self,
        key: &ObjectKey,
        bytes: Vec<u8>,
        condition: Condition,
    ) -> Result<Version, ObjectError>;

    /// The keys under `prefix` (a key, or a key and a final `/`), sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectKey>, ObjectError>;

    /// Deletes the object; one that does not exist is not an error.
    async fn delete(&self, key: &ObjectKey) -> Result<(), ObjectError>;

    /// The object's size in bytes, without reading it; `None` when there is none.
    async fn size(&self, key: &ObjectKey) -> Result<Option<u64>, ObjectError>;

    /// A URL through which whoever holds it may create the object `key` once, with exactly
    /// `bytes` bytes, for `lifetime`, with no other credential (an S3 presigned `PUT`); `None`
    /// when this store has no such URLs (the local store: the server takes the bytes itself).
    async fn upload_url(
        &self,
        key: &ObjectKey,
        bytes: u64,
        lifetime: Duration,
    ) -> Result<Option<UploadUrl>, ObjectError> {
        let _ = (key, bytes, lifetime);
        Ok(None)
    }
}

/// A URL that creates one object: the request to make, as [`ObjectStore::upload_url`] gave it.
#[derive(Debug, Clone)]
pub struct UploadUrl {
    /// The URL to `PUT` the bytes to. It is a credential until it expires: never logged.
    pub url: SecretString,
    /// The headers the request must carry, as signed (`content-length`, `if-none-match`).
    pub headers: Vec<(String, String)>,
}
