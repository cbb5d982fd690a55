//! The directory as the last sync read it, with the delta links that bring it up to date: the
//! next sync reads only what changed. A cache, never the truth: a missing, damaged or foreign
//! cache (another endpoint, Exchange on or off) means a full read, and so does a delta link
//! Graph no longer knows. Where the bytes live is the host's business (the CLI: a file per
//! tenant; the service: an object per connection).

use serde::{Deserialize, Serialize};

use super::{
    ApiError, DeltaState, ExchangeClient, GraphClient, ReadOptions, read_directory_with_delta,
    refresh_directory,
};
use crate::directory::Snapshot;

/// The cache format's version.
pub const DIRECTORY_CACHE_VERSION: u32 = 1;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CacheFile {
    version: u32,
    /// The Graph base URL it was read from: a cache is only good for that tenant there.
    graph: String,
    delta: DeltaState,
    directory: Snapshot,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BorrowedCacheFile<'a> {
    version: u32,
    graph: &'a str,
    delta: &'a DeltaState,
    directory: &'a Snapshot,
}

/// A cached directory and how to refresh it.
#[derive(Debug, Clone)]
pub struct CachedDirectory {
    /// The directory as last read.
    pub directory: Snapshot,
    /// The delta links and mailbox watermark that bring it up to date.
    pub delta: DeltaState,
}

impl CachedDirectory {
    /// Reads a cache's bytes. `Ok(None)` when the cache is of another format version or was read
    /// from another Graph endpoint than `graph`; an error when the bytes are damaged (the caller
    /// reports it and reads the whole tenant).
    pub fn decode(bytes: &[u8], graph: &str) -> Result<Option<Self>, serde_json::Error> {
        // The values users share are kept once each, as when a snapshot file is read.
        let file: CacheFile = crate::interned::sharing(|| serde_json::from_slice(bytes))?;
        Ok(
            (file.version == DIRECTORY_CACHE_VERSION && file.graph == graph).then_some(Self {
                directory: file.directory,
                delta: file.delta,
            }),
        )
    }

    /// The cache's bytes for `directory` and `delta`, read from the Graph endpoint `graph`.
    pub fn encode(
        directory: &Snapshot,
        delta: &DeltaState,
        graph: &str,
    ) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&BorrowedCacheFile {
            version: DIRECTORY_CACHE_VERSION,
            graph,
            delta,
            directory,
        })
    }
}

/// How the directory was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryRead {
    /// Whole (no usable cache).
    Full,
    /// The cached directory brought up to date with delta.
    Incremental,
    /// Whole, because Graph no longer knew the cache's delta link.
    Resync,
}

impl std::fmt::Display for DirectoryRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Full => "read whole",
            Self::Incremental => "changes since the last sync",
            Self::Resync => "read whole: the last sync's delta link had expired",
        })
    }
}

/// The directory now: the cached one brought up to date by delta when there is one, else read
/// whole (with new delta links to cache).
pub async fn read_through_cache(
    graph: &GraphClient,
    exchange: Option<&ExchangeClient>,
    cached: Option<CachedDirectory>,
) -> Result<(Snapshot, DeltaState, DirectoryRead), ApiError> {
    let mut how = DirectoryRead::Full;
    // A cache made with Exchange on cannot serve a sync without it, nor the other way round.
    if let Some(cached) = cached.filter(|c| c.delta.mailboxes.is_some() == exchange.is_some()) {
        match refresh_directory(graph, exchange, cached.directory, &cached.delta).await {
            Ok((directory, delta)) => return Ok((directory, delta, DirectoryRead::Incremental)),
            Err(error) if error.is_resync_required() => how = DirectoryRead::Resync,
            Err(error) => return Err(error),
        }
    }
    let (directory, delta) =
        read_directory_with_delta(graph, exchange, ReadOptions::default()).await?;
    Ok((directory, delta, how))
}
