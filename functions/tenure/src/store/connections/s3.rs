//! Connection records as JSON objects in S3: `<prefix><id>.json` in one bucket, read and
//! written through [`S3ObjectStore`].
//!
//! A record's version is its ETag. Creating uses a conditional `PutObject` with
//! `If-None-Match: *` and replacing one with `If-Match: <etag>`, so S3 itself refuses a write
//! from a stale read (412 Precondition Failed, or 409 when two conditional writes race).
//! moto implements both headers; the tests run against it.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::Client;

use crate::store::Version;
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore, S3ObjectStore};

use super::format::{decode, encode};
use super::{Connection, ConnectionError, ConnectionId, ConnectionStore};

/// Connection records in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3ConnectionStore {
    /// The records, as objects under the store's prefix.
    objects: S3ObjectStore,
}

impl S3ConnectionStore {
    /// Records under `prefix` (such as `connections/`; a missing final `/` is added) in
    /// `bucket`. With an endpoint override (a local emulator) requests use path-style URLs.
    pub fn new(config: &SdkConfig, bucket: &str, prefix: &str) -> Self {
        Self {
            objects: S3ObjectStore::new(config, bucket, prefix),
        }
    }

    /// Records in `bucket` under `prefix`, through an existing client.
    pub fn from_client(client: Client, bucket: &str, prefix: &str) -> Self {
        Self {
            objects: S3ObjectStore::from_client(client, bucket, prefix),
        }
    }

    fn key(&self, id: &ConnectionId) -> Result<ObjectKey, ConnectionError> {
        ObjectKey::parse(&format!("{id}.json")).map_err(|e| {
            ConnectionError::unavailable("use", Some(id), format!("the record's key: {e}"))
        })
    }

    /// A conditional write: create-only, or replace-only-this-version.
    async fn write(
        &self,
        connection: &Connection,
        expected: Option<&Version>,
    ) -> Result<Version, ConnectionError> {
        let id = &connection.id;
        let condition = match expected {
            None => Condition::Absent,
            Some(version) => Condition::Matches(version.clone()),
        };
        let operation = if expected.is_some() {
            "replace"
        } else {
            "create"
        };
        self.objects
            .put(&self.key(id)?, encode(connection)?, condition)
            .await
            .map_err(|e| match e {
                ObjectError::Conflict { .. } => ConnectionError::Conflict {
                    id: id.clone(),
                    expected: expected.cloned(),
                },
                ObjectError::NotFound { .. } => ConnectionError::NotFound { id: id.clone() },
                other => unavailable(operation, id, other),
            })
    }
}

/// An object-store failure as a connection-store one.
fn unavailable(operation: &'static str, id: &ConnectionId, error: ObjectError) -> ConnectionError {
    match error {
        ObjectError::Unavailable { message, .. } => {
            ConnectionError::unavailable(operation, Some(id), message)
        }
        other => ConnectionError::unavailable(operation, Some(id), other.to_string()),
    }
}

#[async_trait]
impl ConnectionStore for S3ConnectionStore {
    async fn get(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<(Connection, Version)>, ConnectionError> {
        match self.objects.get(&self.key(id)?).await {
            Ok(Some((bytes, version))) => Ok(Some((decode(id, &bytes)?, version))),
            Ok(None) => Ok(None),
            Err(e) => Err(unavailable("read", id, e)),
        }
    }

    async fn put_new(&self, connection: &Connection) -> Result<Version, ConnectionError> {
        self.write(connection, None).await
    }

    async fn replace(
        &self,
        connection: &Connection,
        expected: &Version,
    ) -> Result<Version, ConnectionError> {
        self.write(connection, Some(expected)).await
    }

    async fn list(&self) -> Result<Vec<ConnectionId>, ConnectionError> {
        // One level: the connections' own objects (`connections/<id>/…`) share the prefix.
        let keys = self.objects.list_one_level("").await.map_err(|e| match e {
            ObjectError::Unavailable { message, .. } => {
                ConnectionError::unavailable("list", None, message)
            }
            other => ConnectionError::unavailable("list", None, other.to_string()),
        })?;
        let mut ids = Vec::new();
        for key in keys {
            let Some(stem) = key.as_str().strip_suffix(".json") else {
                continue;
            };
            match ConnectionId::parse(stem) {
                Ok(id) => ids.push(id),
                Err(e) => tracing::warn!("skipping the connection record {key}: {e}"),
            }
        }
        ids.sort();
        Ok(ids)
    }

    async fn delete(&self, id: &ConnectionId) -> Result<(), ConnectionError> {
        self.objects
            .delete(&self.key(id)?)
            .await
            .map_err(|e| unavailable("delete", id, e))
    }
}
