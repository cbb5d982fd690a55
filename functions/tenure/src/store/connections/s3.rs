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
use aws_sdk_s3::error::DisplayErrorContext;

use crate::store::Version;
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore, S3ObjectStore};

use super::format::{decode, encode};
use super::{Connection, ConnectionError, ConnectionId, ConnectionStore};

/// Connection records in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3ConnectionStore {
    /// For listing (one level below the prefix).
    client: Client,
    /// For reading and writing the records.
    objects: S3ObjectStore,
    bucket: String,
    prefix: String,
}

impl S3ConnectionStore {
    /// Records under `prefix` (such as `connections/`; a missing final `/` is added) in
    /// `bucket`. With an endpoint override (a local emulator) requests use path-style URLs.
    pub fn new(config: &SdkConfig, bucket: &str, prefix: &str) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Self::from_client(Client::from_conf(s3), bucket, prefix)
    }

    /// Records in `bucket` under `prefix`, through an existing client.
    pub fn from_client(client: Client, bucket: &str, prefix: &str) -> Self {
        let prefix = match prefix {
            "" => String::new(),
            p if p.ends_with('/') => p.to_owned(),
            p => format!("{p}/"),
        };
        Self {
            objects: S3ObjectStore::from_client(client.clone(), bucket, ""),
            client,
            bucket: bucket.to_owned(),
            prefix,
        }
    }

    fn key(&self, id: &ConnectionId) -> Result<ObjectKey, ConnectionError> {
        ObjectKey::parse(&format!("{}{id}.json", self.prefix)).map_err(|e| {
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
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&self.prefix)
            // Records only: the connections' objects (`connections/<id>/…`) share the prefix.
            .delimiter("/")
            .into_paginator()
            .send();
        let mut ids = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                ConnectionError::unavailable("list", None, DisplayErrorContext(&e).to_string())
            })?;
            for key in page.contents().iter().filter_map(|object| object.key()) {
                let Some(stem) = key
                    .strip_prefix(&self.prefix)
                    .and_then(|k| k.strip_suffix(".json"))
                else {
                    continue;
                };
                match ConnectionId::parse(stem) {
                    Ok(id) => ids.push(id),
                    Err(e) => tracing::warn!("skipping s3://{}/{key}: {e}", self.bucket),
                }
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
