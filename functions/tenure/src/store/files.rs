//! The local data directory: owner-only folders, files replaced atomically, and the lock that
//! makes a local compare-and-swap safe across threads and processes.
//!
//! Layout: `<data>/secrets/<connection-id>/<kind>.json` and `<data>/connections/<id>.json`.
//! Each store folder is mode 0700 and each file 0600; a store folder that others can read is
//! refused rather than silently fixed, so a mistake in how the folder was made is noticed. A
//! write goes to a temporary file in the same folder, is synced, and is renamed over the old
//! file, so a reader sees the old value or the new one, never half of one. Writers take an
//! exclusive `flock` on the folder's `.lock` file while they compare and swap, so two writers
//! (threads or processes) cannot both win from the same version.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use secrecy::zeroize::Zeroizing;

/// Owner-only folders.
const DIR_MODE: u32 = 0o700;
/// Owner-only files.
const FILE_MODE: u32 = 0o600;
/// The lock file of a store folder.
const LOCK_FILE: &str = ".lock";

/// The local data directory the local stores keep their files in.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

/// The data directory cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataDirError {
    /// A folder could not be created or inspected.
    #[error("cannot use the data directory folder {}: {source}", path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A store folder that others can read or write.
    #[error(
        "{} is open to other users (mode {mode:o}); Tenure keeps credentials there, so it must be \
         owner-only: run `chmod 700 {}`",
        path.display(),
        path.display()
    )]
    TooOpen {
        /// The folder.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Something other than a folder where a folder belongs.
    #[error("{} is not a folder", path.display())]
    NotAFolder {
        /// The path.
        path: PathBuf,
    },
}

impl DataDir {
    /// Opens the data directory, creating it (owner-only) when it does not exist yet.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, DataDirError> {
        let root = root.into();
        if !root.exists() {
            create_private(&root)?;
        }
        let meta = fs::metadata(&root).map_err(|source| DataDirError::Io {
            path: root.clone(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(DataDirError::NotAFolder { path: root });
        }
        Ok(Self { root })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// A store's own folder inside the data directory, created owner-only or checked to be.
    pub(crate) fn store_folder(&self, name: &str) -> Result<PathBuf, DataDirError> {
        let path = self.root.join(name);
        ensure_private_folder(&path)?;
        Ok(path)
    }
}

/// Creates a folder (and missing parents) owner-only, or checks that an existing one is.
pub(crate) fn ensure_private_folder(path: &Path) -> Result<(), DataDirError> {
    if !path.exists() {
        create_private(path)?;
    }
    let meta = fs::metadata(path).map_err(|source| DataDirError::Io {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(DataDirError::NotAFolder {
            path: path.to_owned(),
        });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(DataDirError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

fn create_private(path: &Path) -> Result<(), DataDirError> {
    match DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(path)
    {
        Ok(()) => Ok(()),
        Err(source) => Err(DataDirError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// An exclusive lock on a store folder, released when dropped (the file is closed).
#[derive(Debug)]
pub(crate) struct FolderLock {
    _file: File,
}

impl FolderLock {
    /// Waits for the folder's lock.
    pub(crate) fn acquire(folder: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(folder.join(LOCK_FILE))?;
        file.lock()?;
        Ok(Self { _file: file })
    }
}

/// Reads a file; `None` when it does not exist. The bytes are wiped when dropped.
pub(crate) fn read_file(path: &Path) -> io::Result<Option<Zeroizing<Vec<u8>>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Replaces `folder/name` with `bytes` atomically: a synced owner-only temporary file renamed
/// over it, then the folder synced so the rename survives a crash.
pub(crate) fn write_file(folder: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let temp = folder.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, folder.join(name))?;
        File::open(folder)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Removes a file; `false` when there was none.
pub(crate) fn remove_file(path: &Path) -> io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Runs blocking file work off the async runtime's threads.
pub(crate) async fn blocking<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
    lost: impl FnOnce(String) -> E,
) -> Result<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => Err(lost(format!("the file worker thread failed: {e}"))),
    }
}
