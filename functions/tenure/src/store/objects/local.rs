//! Objects as owner-only files under `<data>/objects/`, one file per key (its segments are
//! folders). A version is the SHA-256 of the file, as an S3 ETag is a digest of the object;
//! conditional writes compare and rename under the folder's exclusive lock (see
//! [`crate::store::DataDir`]).

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::store::Version;
use crate::store::files::{self, DataDir, DataDirError, FolderLock, ensure_private_folder};

use super::{Condition, ObjectError, ObjectKey, ObjectStore};

/// Objects in files under `<data>/objects/`.
#[derive(Debug, Clone)]
pub struct LocalObjectStore {
    root: PathBuf,
}

impl LocalObjectStore {
    /// The store of a data directory; creates `objects/` (mode 0700) or checks that it is
    /// owner-only.
    pub fn open(data: &DataDir) -> Result<Self, DataDirError> {
        Ok(Self {
            root: data.store_folder("objects")?,
        })
    }

    /// The folder the objects are in.
    pub fn folder(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &ObjectKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

fn version_of(bytes: &[u8]) -> Version {
    Version::new(hex::encode(Sha256::digest(bytes)))
}

#[async_trait]
impl ObjectStore for LocalObjectStore {
    async fn get(&self, key: &ObjectKey) -> Result<Option<(Vec<u8>, Version)>, ObjectError> {
        let path = self.path(key);
        let (k1, k2) = (key.clone(), key.clone());
        files::blocking(
            move || {
                let bytes = files::read_file(&path)
                    .map_err(|e| ObjectError::unavailable("read", &k1, e.to_string()))?;
                Ok(bytes.map(|bytes| {
                    let version = version_of(&bytes);
                    (bytes.to_vec(), version)
                }))
            },
            move |m| ObjectError::unavailable("read", &k2, m),
        )
        .await
    }

    async fn put(
        &self,
        key: &ObjectKey,
        bytes: Vec<u8>,
        condition: Condition,
    ) -> Result<Version, ObjectError> {
        let root = self.root.clone();
        let (key, lost) = (key.clone(), key.clone());
        files::blocking(
            move || {
                let fail = |e: String| ObjectError::unavailable("write", &key, e);
                let path = root.join(key.as_str());
                let (folder, name) = split(&path);
                ensure_private_folder(folder).map_err(|e| fail(e.to_string()))?;
                let _lock = FolderLock::acquire(&root).map_err(|e| fail(e.to_string()))?;
                let current = files::read_file(&path)
                    .map_err(|e| fail(e.to_string()))?
                    .map(|bytes| version_of(&bytes));
                match (condition, current) {
                    (Condition::Absent, Some(_)) => return Err(ObjectError::Conflict { key }),
                    (Condition::Matches(_), None) => return Err(ObjectError::NotFound { key }),
                    (Condition::Matches(expected), Some(current)) if expected != current => {
                        return Err(ObjectError::Conflict { key });
                    }
                    _ => {}
                }
                files::write_file(folder, name, &bytes).map_err(|e| fail(e.to_string()))?;
                Ok(version_of(&bytes))
            },
            move |m| ObjectError::unavailable("write", &lost, m),
        )
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectKey>, ObjectError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        let lost = prefix.clone();
        files::blocking(
            move || {
                // Walk from the deepest folder the prefix names whole.
                let start = match prefix.rfind('/') {
                    Some(end) => root.join(&prefix[..end]),
                    None => root.clone(),
                };
                let mut keys = Vec::new();
                walk(&root, &start, &mut keys)
                    .map_err(|e| ObjectError::unavailable_list(&prefix, e.to_string()))?;
                keys.retain(|k: &ObjectKey| k.as_str().starts_with(&prefix));
                keys.sort();
                Ok(keys)
            },
            move |m| ObjectError::unavailable_list(&lost, m),
        )
        .await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), ObjectError> {
        let root = self.root.clone();
        let path = self.path(key);
        let (key, lost) = (key.clone(), key.clone());
        files::blocking(
            move || {
                let fail = |e: io::Error| ObjectError::unavailable("delete", &key, e.to_string());
                let _lock = FolderLock::acquire(&root).map_err(fail)?;
                files::remove_file(&path).map_err(fail)?;
                Ok(())
            },
            move |m| ObjectError::unavailable("delete", &lost, m),
        )
        .await
    }

    async fn size(&self, key: &ObjectKey) -> Result<Option<u64>, ObjectError> {
        let path = self.path(key);
        let (key, lost) = (key.clone(), key.clone());
        files::blocking(
            move || match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(ObjectError::unavailable(
                    "read the size of",
                    &key,
                    e.to_string(),
                )),
            },
            move |m| ObjectError::unavailable("read the size of", &lost, m),
        )
        .await
    }
}

/// The folder and file name of an object's path (a key always has a last segment).
fn split(path: &Path) -> (&Path, &str) {
    let folder = path.parent().unwrap_or(path);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    (folder, name)
}

/// Every object file under `folder`, as keys relative to `root`; temporary files (names
/// starting with `.`) and the lock are skipped. A folder that does not exist holds nothing.
fn walk(root: &Path, folder: &Path, keys: &mut Vec<ObjectKey>) -> io::Result<()> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(root, &path, keys)?;
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy();
        if let Ok(key) = ObjectKey::parse(&relative) {
            keys.push(key);
        }
    }
    Ok(())
}
