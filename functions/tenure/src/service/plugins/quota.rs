//! What uploads may cost a connection: how many in a window (kept in the object store, so
//! every instance counts the same), and how many versions are kept.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::UploadError;
use super::keys::{PluginSha256, record_key, wasm_key};
use crate::service::Services;
use crate::service::settings::{MappingSettings, PluginChoice, SettingsError};
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey};

/// How many times a count re-reads a log another upload changed at the same moment.
const COUNT_ATTEMPTS: usize = 16;

/// The largest plugin one request carries through API Gateway to a Lambda function: Lambda
/// takes at most 6 MB of request, and API Gateway sends a binary body base64-encoded (4/3 of
/// its size). The `plugin-upload` and `console` functions take no more in one request; larger
/// plugins (JavaScript and Python ones are tens of MiB) go through an upload URL, which is how
/// `tenure plugin upload` and the console's mapping page send them.
pub const LAMBDA_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// What uploads may cost one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Uploads (each one tried and compiled, whatever its outcome) per connection within
    /// [`Self::window`]; the next is refused with 429 and when to try again.
    ///
    /// Default: 10.
    pub uploads_per_window: usize,
    /// The sliding window of [`Self::uploads_per_window`].
    ///
    /// Default: one hour.
    pub window: Duration,
    /// Versions kept per connection: when an upload stores one more, the oldest that are not
    /// active are deleted (their WebAssembly and record).
    ///
    /// Default: 20.
    pub max_versions: usize,
    /// The largest plugin one request may carry (`POST …/plugins`); a larger one, up to the
    /// host's [`max_wasm_bytes`](crate::plugin::SandboxLimits::max_wasm_bytes), goes through an
    /// upload URL ([`issue_upload_url`](super::issue_upload_url)).
    ///
    /// Default: `None`, the host's `max_wasm_bytes` (`tenure serve`, unless
    /// `--max-request-bytes`); the `plugin-upload` and `console` functions set what fits in a
    /// Lambda request.
    pub max_request_bytes: Option<usize>,
}

impl UploadLimits {
    /// The largest plugin one request may carry on a host that takes plugins of up to
    /// `max_wasm_bytes`: [`Self::max_request_bytes`], else the host's limit.
    pub fn request_bytes(&self, max_wasm_bytes: usize) -> usize {
        self.max_request_bytes
            .map_or(max_wasm_bytes, |most| most.min(max_wasm_bytes))
    }
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            uploads_per_window: 10,
            window: Duration::from_secs(3600),
            max_versions: 20,
            max_request_bytes: None,
        }
    }
}

/// `plugins/<connection>/uploads.json`: when the connection's recent uploads began.
fn log_key(connection: &ConnectionId) -> ObjectKey {
    ObjectKey::parse(&format!("plugins/{connection}/uploads.json"))
        .expect("a connection id is a plain key segment")
}

/// The uploads of one window, oldest first.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UploadLog {
    uploads: Vec<Timestamp>,
}

/// Counts one upload of `connection` at `now`, or refuses it with
/// [`UploadError::RateLimited`] when [`UploadLimits::uploads_per_window`] uploads began within
/// the window before it. The log is written by compare-and-swap, so concurrent uploads through
/// any number of instances are each counted once.
pub(super) async fn count_upload(
    services: &Services,
    connection: &ConnectionId,
    now: Timestamp,
) -> Result<(), UploadError> {
    let limits = services.uploads;
    let window = SignedDuration::try_from(limits.window).unwrap_or(SignedDuration::MAX);
    let since = now.saturating_sub(window).unwrap_or(Timestamp::MIN);
    let key = log_key(connection);
    let objects = services.objects.as_ref();
    for _ in 0..COUNT_ATTEMPTS {
        let (mut log, condition) = match objects.get(&key).await? {
            Some((bytes, version)) => (
                // A damaged log counts nothing: it is rewritten below.
                serde_json::from_slice(&bytes).unwrap_or_default(),
                Condition::Matches(version),
            ),
            None => (UploadLog::default(), Condition::Absent),
        };
        // Only what left the window goes: an entry a little after `now` is a concurrent
        // upload whose clock read later, and counts.
        log.uploads.retain(|at| *at > since);
        log.uploads.sort_unstable();
        if log.uploads.len() >= limits.uploads_per_window {
            let first = log.uploads.first().copied().unwrap_or(now);
            let free_at = first.saturating_add(window).unwrap_or(Timestamp::MAX);
            let wait = free_at
                .duration_since(now)
                .max(SignedDuration::from_secs(1));
            return Err(UploadError::RateLimited {
                connection: connection.clone(),
                limit: limits.uploads_per_window,
                window: limits.window,
                retry_after: Duration::from_secs(u64::try_from(wait.as_secs()).unwrap_or(1).max(1)),
            });
        }
        log.uploads.push(now);
        let bytes = serde_json::to_vec(&log)
            .map_err(|e| UploadError::Internal(format!("the upload log: {e}")))?;
        match objects.put(&key, bytes, condition).await {
            Ok(_) => return Ok(()),
            Err(ObjectError::Conflict { .. } | ObjectError::NotFound { .. }) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(UploadError::Contended(connection.clone()))
}

/// Deletes `connection`'s oldest versions beyond [`UploadLimits::max_versions`], never the
/// active one nor `keep` (the version just uploaded). Their compiled code is kept: another
/// connection may have uploaded the same bytes.
pub(super) async fn prune_versions(
    services: &Services,
    connection: &ConnectionId,
    keep: &PluginSha256,
) -> Result<Vec<PluginSha256>, UploadError> {
    let max = services.uploads.max_versions.max(1);
    let listed = super::list_versions(services, connection).await?;
    if listed.versions.len() <= max {
        return Ok(Vec::new());
    }
    // Read again just before deleting: a version activated meanwhile is kept.
    let active = match MappingSettings::load(services.objects.as_ref(), connection).await {
        Ok((settings, _)) => Some(settings.plugin),
        Err(SettingsError::Missing(_)) => None,
        Err(error) => return Err(UploadError::Settings(error)),
    };
    let is_active = |sha256: &str| matches!(&active, Some(PluginChoice::Uploaded { sha256: chosen }) if chosen == sha256);
    let excess = listed.versions.len() - max;
    let mut pruned = Vec::new();
    // Oldest first.
    for version in &listed.versions {
        if pruned.len() == excess {
            break;
        }
        let sha = &version.record.sha256;
        if version.active || is_active(sha) || sha == keep.as_str() {
            continue;
        }
        let Ok(sha256) = PluginSha256::parse(sha) else {
            continue;
        };
        // The record first: without it the version no longer exists for the connection.
        services
            .objects
            .delete(&record_key(connection, &sha256))
            .await?;
        services
            .objects
            .delete(&wasm_key(connection, &sha256))
            .await?;
        tracing::info!(%connection, version = %sha256, "pruned an inactive plugin version");
        pruned.push(sha256);
    }
    Ok(pruned)
}
