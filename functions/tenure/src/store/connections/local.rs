//! Connection records as owner-only files: `<data>/connections/<id>.json`, the same JSON as the
//! S3 objects. A record's version is the SHA-256 of its file, as an S3 ETag is a digest of the
//! object: a writer whose read is stale cannot overwrite a newer record. Writes hold the
//! folder's exclusive lock while they compare and rename (see [`crate::store::DataDir`]).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::store::Version;
use crate::store::files::{self, DataDir, DataDirError, FolderLock};

use super::format::{decode, encode};
use super::{Connection, ConnectionError, ConnectionId, ConnectionStore};

/// Connection records in files under `<data>/connections/`.
#[derive(Debug, Clone)]
pub struct LocalConnectionStore {
    folder: PathBuf,
}

impl LocalConnectionStore {
    /// The store of a data directory; creates `connections/` (mode 0700) or checks that it is
    /// owner-only.
    pub fn open(data: &DataDir) -> Result<Self, DataDirError> {
        Ok(Self {
            folder: data.store_folder("connections")?,
        })
    }

    /// The folder the records are in.
    pub fn folder(&self) -> &Path {
        &self.folder
    }
}

fn file_name(id: &ConnectionId) -> String {
    format!("{id}.json")
}

fn version_of(bytes: &[u8]) -> Version {
    Version::new(hex::encode(Sha256::digest(bytes)))
}

#[async_trait]
impl ConnectionStore for LocalConnectionStore {
    async fn get(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<(Connection, Version)>, ConnectionError> {
        let path = self.folder.join(file_name(id));
        let id = id.clone();
        let lost_id = id.clone();
        files::blocking(
            move || {
                let Some(bytes) = files::read_file(&path)
                    .map_err(|e| ConnectionError::unavailable("read", Some(&id), e.to_string()))?
                else {
                    return Ok(None);
                };
                Ok(Some((decode(&id, &bytes)?, version_of(&bytes))))
            },
            move |m| ConnectionError::unavailable("read", Some(&lost_id), m),
        )
        .await
    }

    async fn put_new(&self, connection: &Connection) -> Result<Version, ConnectionError> {
        let bytes = encode(connection)?;
        self.write(connection.id.clone(), bytes, None).await
    }

    async fn replace(
        &self,
        connection: &Connection,
        expected: &Version,
    ) -> Result<Version, ConnectionError> {
        let bytes = encode(connection)?;
        self.write(connection.id.clone(), bytes, Some(expected.clone()))
            .await
    }

    async fn list(&self) -> Result<Vec<ConnectionId>, ConnectionError> {
        let folder = self.folder.clone();
        files::blocking(
            move || {
                let fail =
                    |e: std::io::Error| ConnectionError::unavailable("list", None, e.to_string());
                let mut ids = Vec::new();
                for entry in std::fs::read_dir(&folder).map_err(fail)? {
                    let name = entry.map_err(fail)?.file_name();
                    let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                        continue;
                    };
                    if stem.starts_with('.') {
                        continue; // a temporary file of a write in progress
                    }
                    match ConnectionId::parse(stem) {
                        Ok(id) => ids.push(id),
                        Err(e) => tracing::warn!("skipping {}: {e}", folder.join(&name).display()),
                    }
                }
                ids.sort();
                Ok(ids)
            },
            |m| ConnectionError::unavailable("list", None, m),
        )
        .await
    }

    async fn delete(&self, id: &ConnectionId) -> Result<(), ConnectionError> {
        let folder = self.folder.clone();
        let id = id.clone();
        let lost_id = id.clone();
        files::blocking(
            move || {
                let fail = |e: std::io::Error| {
                    ConnectionError::unavailable("delete", Some(&id), e.to_string())
                };
                let _lock = FolderLock::acquire(&folder).map_err(fail)?;
                files::remove_file(&folder.join(file_name(&id))).map_err(fail)?;
                Ok(())
            },
            move |m| ConnectionError::unavailable("delete", Some(&lost_id), m),
        )
        .await
    }
}

impl LocalConnectionStore {
    /// Creates (`expected` is `None`) or replaces a record under the folder's lock.
    async fn write(
        &self,
        id: ConnectionId,
        bytes: Vec<u8>,
        expected: Option<Version>,
    ) -> Result<Version, ConnectionError> {
        let operation = if expected.is_some() {
            "replace"
        } else {
            "create"
        };
        let folder = self.folder.clone();
        let lost_id = id.clone();
        files::blocking(
            move || {
                let fail = |e: std::io::Error| {
                    ConnectionError::unavailable(operation, Some(&id), e.to_string())
                };
                let name = file_name(&id);
                let _lock = FolderLock::acquire(&folder).map_err(fail)?;
                let current = files::read_file(&folder.join(&name))
                    .map_err(fail)?
                    .map(|bytes| version_of(&bytes));
                match (expected, current) {
                    (None, Some(_)) => {
                        return Err(ConnectionError::Conflict { id, expected: None });
                    }
                    (Some(_), None) => return Err(ConnectionError::NotFound { id }),
                    (Some(expected), Some(current)) if expected != current => {
                        return Err(ConnectionError::Conflict {
                            id,
                            expected: Some(expected),
                        });
                    }
                    _ => {}
                }
                files::write_file(&folder, &name, &bytes).map_err(fail)?;
                Ok(version_of(&bytes))
            },
            move |m| ConnectionError::unavailable(operation, Some(&lost_id), m),
        )
        .await
    }
}
