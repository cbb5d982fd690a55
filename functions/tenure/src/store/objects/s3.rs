//! Objects in one S3 bucket, under an optional key prefix.
//!
//! A version is the object's ETag. Create-only writes send `If-None-Match: *` and replaces
//! `If-Match: <etag>`, so S3 itself refuses a write from a stale read (412, or 409 when two
//! conditional writes race). moto implements both headers; the tests run against it.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use secrecy::SecretString;

use crate::store::Version;
use crate::store::s3_errors::{refused_condition, status};

use super::{Condition, ObjectError, ObjectKey, ObjectStore, UploadUrl};

/// Objects in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
    prefix: String,
}

impl S3ObjectStore {
    /// Objects under `prefix` (empty, or such as `tenure/`; a missing final `/` is added) in
    /// `bucket`. With an endpoint override (a local emulator) requests use path-style URLs.
    pub fn new(config: &SdkConfig, bucket: &str, prefix: &str) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Self::from_client(Client::from_conf(s3), bucket, prefix)
    }

    /// Objects in `bucket` under `prefix`, through an existing client.
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

    /// The keys right under `prefix` (a key and a final `/`, or empty), not those in the
    /// folders below it, sorted.
    pub async fn list_one_level(&self, prefix: &str) -> Result<Vec<ObjectKey>, ObjectError> {
        self.list_keys(prefix, true).await
    }

    async fn list_keys(
        &self,
        prefix: &str,
        one_level: bool,
    ) -> Result<Vec<ObjectKey>, ObjectError> {
        let mut request = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(format!("{}{prefix}", self.prefix));
        if one_level {
            request = request.delimiter("/");
        }
        let mut pages = request.into_paginator().send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                ObjectError::unavailable_list(prefix, DisplayErrorContext(&e).to_string())
            })?;
            for s3_key in page.contents().iter().filter_map(|object| object.key()) {
                let Some(key) = s3_key.strip_prefix(&self.prefix) else {
                    continue;
                };
                match ObjectKey::parse(key) {
                    Ok(key) => keys.push(key),
                    Err(e) => tracing::warn!("skipping s3://{}/{s3_key}: {e}", self.bucket),
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn s3_key(&self, key: &ObjectKey) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn get(&self, key: &ObjectKey) -> Result<Option<(Vec<u8>, Version)>, ObjectError> {
        let fail = |message: String| ObjectError::unavailable("read", key, message);
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.s3_key(key))
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
        Ok(Some((bytes.to_vec(), version)))
    }

    async fn put(
        &self,
        key: &ObjectKey,
        bytes: Vec<u8>,
        condition: Condition,
    ) -> Result<Version, ObjectError> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.s3_key(key))
            .body(ByteStream::from(bytes));
        let replacing = matches!(condition, Condition::Matches(_));
        let request = match &condition {
            Condition::Always => request,
            Condition::Absent => request.if_none_match("*"),
            Condition::Matches(version) => request.if_match(version.as_str()),
        };
        match request.send().await {
            Ok(out) => out
                .e_tag()
                .map(Version::new)
                .ok_or_else(|| ObjectError::unavailable("write", key, "S3 gave no ETag")),
            Err(e) if replacing && status(&e) == Some(404) => {
                Err(ObjectError::NotFound { key: key.clone() })
            }
            Err(e) if refused_condition(&e) => Err(ObjectError::Conflict { key: key.clone() }),
            Err(e) => Err(ObjectError::unavailable(
                "write",
                key,
                DisplayErrorContext(&e).to_string(),
            )),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectKey>, ObjectError> {
        self.list_keys(prefix, false).await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), ObjectError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.s3_key(key))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                ObjectError::unavailable("delete", key, DisplayErrorContext(&e).to_string())
            })
    }

    async fn size(&self, key: &ObjectKey) -> Result<Option<u64>, ObjectError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.s3_key(key))
            .send()
            .await
        {
            Ok(out) => Ok(Some(
                out.content_length().unwrap_or(0).try_into().unwrap_or(0),
            )),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(e) => Err(ObjectError::unavailable(
                "read the size of",
                key,
                DisplayErrorContext(&e).to_string(),
            )),
        }
    }

    /// A presigned `PUT` that signs the length and `If-None-Match: *`: S3 refuses another
    /// length, and a second upload to the same key while the first is there.
    async fn upload_url(
        &self,
        key: &ObjectKey,
        bytes: u64,
        lifetime: Duration,
    ) -> Result<Option<UploadUrl>, ObjectError> {
        let fail = |message: String| ObjectError::unavailable("sign an upload of", key, message);
        let length =
            i64::try_from(bytes).map_err(|_| fail(format!("{bytes} bytes is too many")))?;
        let presigning = PresigningConfig::expires_in(lifetime).map_err(|e| fail(e.to_string()))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.s3_key(key))
            .content_length(length)
            .if_none_match("*")
            .presigned(presigning)
            .await
            .map_err(|e| fail(DisplayErrorContext(&e).to_string()))?;
        Ok(Some(UploadUrl {
            url: SecretString::from(request.uri().to_owned()),
            headers: request
                .headers()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
                .collect(),
        }))
    }
}
