//! The directory cache of `tenure sync`, one file per tenant: the engine's
//! [`tenure::microsoft::CachedDirectory`] kept on disk. A missing, damaged or foreign cache means
//! a full read.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tenure::directory::Snapshot;
use tenure::microsoft::{CachedDirectory, DeltaState};

/// `<state dir>/<tenant or connection id>/directory-cache.json`, owner-only.
pub(crate) struct DirectoryCache {
    path: PathBuf,
    graph: String,
}

impl DirectoryCache {
    pub(crate) fn new(tenant_dir: &Path, graph: &str) -> Self {
        Self {
            path: tenant_dir.join("directory-cache.json"),
            graph: graph.to_owned(),
        }
    }

    /// The cached directory, if there is a usable one for this Graph endpoint; a damaged file is
    /// reported on stderr and ignored.
    pub(crate) fn load(&self) -> Option<CachedDirectory> {
        let bytes = fs::read(&self.path).ok()?;
        match CachedDirectory::decode(&bytes, &self.graph) {
            Ok(cached) => cached,
            Err(error) => {
                eprintln!(
                    "tenure: ignoring the directory cache {} ({error}); reading the whole tenant",
                    self.path.display()
                );
                None
            }
        }
    }

    /// Keeps this directory and its delta state for the next sync (written whole, then renamed
    /// into place, so a cut-off write never leaves half a cache).
    pub(crate) fn save(&self, directory: &Snapshot, delta: &DeltaState) -> Result<()> {
        let json = CachedDirectory::encode(directory, delta, &self.graph)?;
        let parent = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let temporary = self.path.with_extension("json.tmp");
        let mut options = fs::OpenOptions::new();
        options.create(true).write(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&temporary)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        file.write_all(&json)?;
        file.sync_all()?;
        fs::rename(&temporary, &self.path)
            .with_context(|| format!("cannot replace {}", self.path.display()))
    }
}
