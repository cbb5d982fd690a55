//! The directory as the last sync read it, with the delta links that bring it up to date: the
//! next sync reads only what changed. A cache, never the truth: a missing, damaged or foreign
//! cache (another endpoint, Exchange on or off) means a full read, and so does a delta link
//! Graph no longer knows.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use tenure::directory::Snapshot;
use tenure::microsoft::DeltaState;

/// The cache file's format version.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CacheFile {
    version: u32,
    /// The Graph base URL it was read from: a cache is only good for that tenant there.
    graph: String,
    delta: DeltaState,
    directory: Snapshot,
}

/// `<state dir>/<tenant or connection id>/directory-cache.json`, owner-only.
pub(crate) struct DirectoryCache {
    path: PathBuf,
    graph: String,
}

/// What a cache gave: the directory as last read and how to refresh it.
pub(crate) struct Cached {
    pub(crate) directory: Snapshot,
    pub(crate) delta: DeltaState,
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
    pub(crate) fn load(&self) -> Option<Cached> {
        let bytes = fs::read(&self.path).ok()?;
        match serde_json::from_slice::<CacheFile>(&bytes) {
            Ok(file) if file.version == VERSION && file.graph == self.graph => Some(Cached {
                directory: file.directory,
                delta: file.delta,
            }),
            Ok(_) => None,
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
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Borrowed<'a> {
            version: u32,
            graph: &'a str,
            delta: &'a DeltaState,
            directory: &'a Snapshot,
        }
        let json = serde_json::to_vec(&Borrowed {
            version: VERSION,
            graph: &self.graph,
            delta,
            directory,
        })?;
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
