//! Connection records as JSON objects in S3: `<prefix><id>.json` in one bucket.
//!
//! A record's version is its ETag. Creating uses a conditional `PutObject` with
//! `If-None-Match: *` and replacing one with `If-Match: <etag>`, so S3 itself refuses a write
//! from a stale read (412 Precondition Failed, or 409 when two conditional writes race).
//! moto implements both headers; the tests run against it.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use crate::store::Version;
use crate::store::s3_errors::{refused_condition, status};

use super::format::{decode, encode};
use super::{Connection, ConnectionError, ConnectionId, ConnectionStore};

/// Connection records in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3ConnectionStore {
    client: Client,
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
            client,
            bucket: bucket.to_owned(),
            prefix,
        }
    }

    fn key(&self, id: &ConnectionId) -> String {
        format!("{}{id}.json", self.prefix)
    }

    /// A conditional write: `If-None-Match: *` to create, `If-Match` to replace.
    async fn write(
        &self,
        connection: &Connection,
        expected: Option<&Version>,
    ) -> Result<Version, ConnectionError> {
        let id = &connection.id;
        let operation = if expected.is_some() {
            "replace"
        } else {
            "create"
        };
        let bytes = encode(connection)?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(id))
            .content_type("application/json")
            .body(ByteStream::from(bytes));
        let request = match expected {
            None => request.if_none_match("*"),
            Some(version) => request.if_match(version.as_str()),
        };
        match request.send().await {
            Ok(out) => out.e_tag().map(Version::new).ok_or_else(|| {
                ConnectionError::unavailable(operation, Some(id), "S3 gave no ETag")
            }),
            Err(e) if refused_condition(&e) => Err(ConnectionError::Conflict {
                id: id.clone(),
                expected: expected.cloned(),
            }),
            Err(e) if expected.is_some() && status(&e) == Some(404) => {
                Err(ConnectionError::NotFound { id: id.clone() })
            }
            Err(e) => Err(ConnectionError::unavailable(
                operation,
                Some(id),
                DisplayErrorContext(&e).to_string(),
            )),
        }
    }
}

#[async_trait]
impl ConnectionStore for S3ConnectionStore {
    async fn get(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<(Connection, Version)>, ConnectionError> {
        let fail = |message: String| ConnectionError::unavailable("read", Some(id), message);
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(id))
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(fail(DisplayErrorContext(&e).to_string())),
        };
        let version = out
            .e_tag()
            .map(Version::new)
            .ok_or_else(|| fail("S3 gave no ETag".to_owned()))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| fail(format!("the object could not be read: {e}")))?
            .into_bytes();
        Ok(Some((decode(id, &bytes)?, version)))
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
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.key(id))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                ConnectionError::unavailable(
                    "delete",
                    Some(id),
                    DisplayErrorContext(&e).to_string(),
                )
            })
    }
}
