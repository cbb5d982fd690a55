//! Secrets as owner-only files under the local data directory:
//! `<data>/secrets/<connection-id>/<kind>.json` (the deployment's keys under
//! `<data>/secrets/_deployment/<purpose>.json`), holding `{"format":1,"version":…,"value":…}`.
//!
//! A write holds the folder's exclusive lock while it compares the version on disk with the one
//! the writer read and renames the new file in place, so of two writers (threads or processes)
//! from the same version exactly one wins. Reads take no lock: a rename is atomic.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};

use crate::store::Version;
use crate::store::files::{self, DataDir, DataDirError, FolderLock};

use super::{SecretError, SecretName, SecretStore, check_size};

/// The file format this version of Tenure writes and reads.
const FORMAT: u32 = 1;

/// Secrets in files under `<data>/secrets/`.
#[derive(Debug, Clone)]
pub struct LocalSecretStore {
    folder: PathBuf,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredSecret {
    format: u32,
    version: String,
    value: SecretString,
}

#[derive(serde::Serialize)]
struct SecretFile<'a> {
    format: u32,
    version: &'a str,
    value: &'a str,
}

impl LocalSecretStore {
    /// The store of a data directory; creates `secrets/` (mode 0700) or checks that it is
    /// owner-only.
    pub fn open(data: &DataDir) -> Result<Self, DataDirError> {
        Ok(Self {
            folder: data.store_folder("secrets")?,
        })
    }

    /// The folder the secrets are in.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The folder and file name of a secret.
    fn place(&self, name: &SecretName) -> (PathBuf, String) {
        let (folder, last) = name.parts();
        (self.folder.join(folder), format!("{last}.json"))
    }
}

#[async_trait]
impl SecretStore for LocalSecretStore {
    async fn get(&self, name: &SecretName) -> Result<Option<(SecretString, Version)>, SecretError> {
        let (folder, file) = self.place(name);
        let name = name.clone();
        let lost = lost(&name, "read");
        files::blocking(
            move || {
                files::read_file(&folder.join(file))
                    .map_err(|e| unavailable(&name, "read", &e))?
                    .map(|bytes| decode(&name, &bytes))
                    .transpose()
            },
            lost,
        )
        .await
    }

    async fn put_new(
        &self,
        name: &SecretName,
        value: &SecretString,
    ) -> Result<Version, SecretError> {
        check_size(name, value)?;
        self.write(name, value, None).await
    }

    async fn replace(
        &self,
        name: &SecretName,
        value: &SecretString,
        expected: &Version,
    ) -> Result<Version, SecretError> {
        check_size(name, value)?;
        self.write(name, value, Some(expected.clone())).await
    }

    async fn delete(&self, name: &SecretName) -> Result<(), SecretError> {
        let (folder, file) = self.place(name);
        let store = self.folder.clone();
        let name = name.clone();
        let lost = lost(&name, "delete");
        files::blocking(
            move || {
                let fail = |e: std::io::Error| unavailable(&name, "delete", &e);
                let _lock = FolderLock::acquire(&store).map_err(fail)?;
                files::remove_file(&folder.join(file)).map_err(fail)?;
                Ok(())
            },
            lost,
        )
        .await
    }
}

impl LocalSecretStore {
    /// Creates (`expected` is `None`) or replaces a secret under the store's lock.
    async fn write(
        &self,
        name: &SecretName,
        value: &SecretString,
        expected: Option<Version>,
    ) -> Result<Version, SecretError> {
        let operation = if expected.is_some() {
            "replace"
        } else {
            "create"
        };
        let (folder, file) = self.place(name);
        let store = self.folder.clone();
        let name = name.clone();
        let value = value.clone();
        let lost = lost(&name, operation);
        files::blocking(
            move || {
                let fail = |e: std::io::Error| unavailable(&name, operation, &e);
                let _lock = FolderLock::acquire(&store).map_err(fail)?;
                let current = files::read_file(&folder.join(&file))
                    .map_err(fail)?
                    .map(|bytes| decode(&name, &bytes))
                    .transpose()?
                    .map(|(_, version)| version);
                match (&expected, current) {
                    (None, Some(_)) => {
                        return Err(SecretError::Conflict {
                            name,
                            expected: None,
                        });
                    }
                    (Some(_), None) => return Err(SecretError::NotFound { name }),
                    (Some(expected), Some(current)) if *expected != current => {
                        return Err(SecretError::Conflict {
                            name,
                            expected: Some(expected.clone()),
                        });
                    }
                    _ => {}
                }
                files::ensure_private_folder(&folder).map_err(|e| SecretError::Unavailable {
                    name: name.clone(),
                    operation,
                    message: e.to_string(),
                })?;
                let version = Version::random();
                let bytes = encode(&version, &value).map_err(|e| SecretError::Unavailable {
                    name: name.clone(),
                    operation,
                    message: format!("cannot encode the file: {}", e.classify_text()),
                })?;
                files::write_file(&folder, &file, &bytes).map_err(fail)?;
                Ok(version)
            },
            lost,
        )
        .await
    }
}

/// The file's bytes (wiped when dropped).
fn encode(
    version: &Version,
    value: &SecretString,
) -> Result<Zeroizing<Vec<u8>>, serde_json::Error> {
    let value = value.expose_secret();
    // Room for the worst escaping up front, so no reallocation leaves a copy behind.
    let mut bytes = Zeroizing::new(Vec::with_capacity(value.len() * 6 + 128));
    serde_json::to_writer(
        &mut *bytes,
        &SecretFile {
            format: FORMAT,
            version: version.as_str(),
            value,
        },
    )?;
    Ok(bytes)
}

/// Reads a secret file. Errors say where the file is malformed, never what it holds.
fn decode(name: &SecretName, bytes: &[u8]) -> Result<(SecretString, Version), SecretError> {
    let unreadable = |reason: String| SecretError::Unreadable {
        name: name.clone(),
        reason,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let stored: StoredSecret = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let place = place_of(e.path());
        let inner = e.into_inner();
        unreadable(format!(
            "{} at {place} (line {}, column {})",
            inner.classify_text(),
            inner.line(),
            inner.column()
        ))
    })?;
    if stored.format != FORMAT {
        return Err(unreadable(format!(
            "file format {} (this Tenure reads format {FORMAT})",
            stored.format
        )));
    }
    Ok((stored.value, Version::new(stored.version)))
}

/// Where in the file an error is: one of the file's own fields, never a key found in the file
/// (which could be anything, the value included).
fn place_of(path: &serde_path_to_error::Path) -> String {
    match path.iter().next() {
        None => "the top".to_owned(),
        Some(serde_path_to_error::Segment::Map { key })
            if ["format", "version", "value"].contains(&key.as_str()) =>
        {
            format!("`{key}`")
        }
        Some(_) => "an unknown field".to_owned(),
    }
}

/// Names what kind of JSON error happened without quoting the input.
trait ClassifyText {
    fn classify_text(&self) -> &'static str;
}

impl ClassifyText for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "an I/O error",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "an unexpected value or missing field",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

fn unavailable(name: &SecretName, operation: &'static str, e: &std::io::Error) -> SecretError {
    SecretError::Unavailable {
        name: name.clone(),
        operation,
        message: e.to_string(),
    }
}

fn lost(name: &SecretName, operation: &'static str) -> impl FnOnce(String) -> SecretError + use<> {
    let name = name.clone();
    move |message| SecretError::Unavailable {
        name,
        operation,
        message,
    }
}
