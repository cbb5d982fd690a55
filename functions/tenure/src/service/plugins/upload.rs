//! `upload`: check, try, precompile, store and (optionally) activate a plugin version.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use super::PluginLoadError;
use super::activate::{connection_must_exist, set_active, stored_record};
use super::admission::{admit, refused};
use super::keys::{PluginSha256, compiled_key, record_key, wasm_key};
use super::{RECORD_FORMAT, TrialReport, UploadError, VersionRecord};
use crate::plugin::{CodeKey, Plugin};
use crate::service::Services;
use crate::service::settings::PluginChoice;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError};
use crate::store::secrets::KeyPurpose;

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadedVersion {
    /// The version: the SHA-256 of the WebAssembly, lower-case hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: usize,
    /// When it was first uploaded (earlier than now for a repeated upload).
    pub uploaded_at: Timestamp,
    /// What trying it on sample workers showed, this time.
    pub trial: TrialReport,
    /// Whether it is now the connection's active plugin.
    pub activated: bool,
    /// Whether the same bytes had been uploaded before (nothing new was stored).
    pub already_uploaded: bool,
}

/// Uploads a plugin version for `connection` and, with `activate`, makes it the one the
/// connection's runs use.
///
/// In order: the connection must exist; it must not have used up its uploads of the window
/// ([`UploadLimits`](super::UploadLimits): every upload counts, whatever its outcome); `wasm`
/// must be within the host's
/// [`max_wasm_bytes`](crate::plugin::SandboxLimits::max_wasm_bytes); it must be a component
/// of the contract's world and version importing nothing beyond the contract and the deny-all
/// WASI (checked while it is compiled); it must accept the connection's stored mapping
/// configuration, if the connection has settings; and it must map every sample worker (see
/// [`TRIAL_WORKERS`](super::TRIAL_WORKERS)) without a trap, a hang, a memory bomb or an
/// answer that breaks the contract. Only then are its WebAssembly, its sealed compiled code and
/// its [`VersionRecord`] stored, and the settings' plugin set to it by compare-and-swap.
///
/// A plugin that fails a check is neither stored nor activated. Uploading the same bytes again
/// checks them again and stores nothing new. Storing a new version prunes the connection's
/// oldest inactive versions beyond [`UploadLimits::max_versions`](super::UploadLimits). Asking to activate when the connection has no
/// settings keeps the upload and answers [`UploadError::NotActivated`].
pub async fn upload(
    services: &Services,
    connection: &ConnectionId,
    wasm: &[u8],
    activate: bool,
) -> Result<UploadedVersion, UploadError> {
    connection_must_exist(services, connection).await?;
    super::quota::count_upload(services, connection, Timestamp::now()).await?;
    let limit = services.plugins.host().limits().max_wasm_bytes;
    if wasm.len() > limit {
        return Err(UploadError::TooLarge {
            bytes: wasm.len(),
            limit,
        });
    }
    let sha256 = PluginSha256::of(wasm);
    let earlier = stored_record(services, connection, &sha256).await?;

    // Checked and compiled (or, when these bytes are already stored, deserialized).
    let (plugin, sealed) = if earlier.is_some() {
        let choice = PluginChoice::Uploaded {
            sha256: sha256.to_string(),
        };
        let plugin = services
            .plugins
            .load(
                services.objects.as_ref(),
                services.keys.as_ref(),
                connection,
                &choice,
            )
            .await?;
        (plugin, None)
    } else {
        let (plugin, sealed) = precompile(services, wasm).await?;
        (plugin, Some(sealed))
    };

    let trial = admit(
        services.objects.as_ref(),
        Some(connection),
        Arc::clone(&plugin),
    )
    .await?;

    let (record, already_uploaded) = match earlier {
        Some(record) => (record, true),
        None => {
            let record = VersionRecord {
                format: RECORD_FORMAT,
                sha256: sha256.to_string(),
                size: wasm.len(),
                uploaded_at: Timestamp::now(),
                trial: trial.clone(),
            };
            store(services, connection, &sha256, wasm, sealed, record).await?
        }
    };
    services
        .plugins
        .keep_uploaded(connection, &sha256, Arc::clone(&plugin));

    let activated = if activate {
        match set_active(services, connection, &sha256).await {
            Ok(()) => true,
            Err(UploadError::Settings(reason)) => {
                return Err(UploadError::NotActivated {
                    sha256: sha256.to_string(),
                    reason,
                });
            }
            Err(error) => return Err(error),
        }
    } else {
        false
    };
    if !already_uploaded {
        super::quota::prune_versions(services, connection, &sha256).await?;
    }
    Ok(UploadedVersion {
        sha256: sha256.to_string(),
        size: record.size,
        uploaded_at: record.uploaded_at,
        trial,
        activated,
        already_uploaded,
    })
}

/// Checks and compiles `wasm` off the request's thread (compiling takes from milliseconds for
/// a small Rust plugin to seconds for a JavaScript or Python one); the sealed code is
/// authenticated with the deployment's current compiled-code key.
async fn precompile(
    services: &Services,
    wasm: &[u8],
) -> Result<(Arc<Plugin>, Vec<u8>), UploadError> {
    let library = Arc::clone(&services.plugins);
    let wasm = wasm.to_vec();
    let keys = services
        .keys
        .keys(KeyPurpose::PluginCodeHmac)
        .await
        .map_err(PluginLoadError::from)?;
    let compiled = tokio::task::spawn_blocking(move || {
        let current = keys.current();
        let key = CodeKey {
            id: current.id().0,
            bytes: current.expose(),
        };
        library.host().precompile(&wasm, key)
    })
    .await
    .map_err(|e| UploadError::Internal(format!("the compiler stopped: {e}")))?;
    let (plugin, sealed) = compiled.map_err(refused)?;
    Ok((Arc::new(plugin), sealed))
}

/// Stores a checked version: WebAssembly, sealed code, then the record that makes it exist.
/// Gives the record kept and whether it was there already (a concurrent upload of the same
/// bytes won the race).
async fn store(
    services: &Services,
    connection: &ConnectionId,
    sha256: &PluginSha256,
    wasm: &[u8],
    sealed: Option<Vec<u8>>,
    record: VersionRecord,
) -> Result<(VersionRecord, bool), UploadError> {
    let objects = services.objects.as_ref();
    objects
        .put(
            &wasm_key(connection, sha256),
            wasm.to_vec(),
            Condition::Always,
        )
        .await?;
    if let Some(sealed) = sealed {
        let key = compiled_key(sha256, &services.plugins.host().engine_key());
        objects.put(&key, sealed, Condition::Always).await?;
    }
    let bytes = serde_json::to_vec_pretty(&record)
        .map_err(|e| UploadError::Internal(format!("the version record: {e}")))?;
    match objects
        .put(&record_key(connection, sha256), bytes, Condition::Absent)
        .await
    {
        Ok(_) => Ok((record, false)),
        Err(ObjectError::Conflict { .. }) => {
            match stored_record(services, connection, sha256).await? {
                Some(earlier) => Ok((earlier, true)),
                None => Ok((record, false)),
            }
        }
        Err(error) => Err(error.into()),
    }
}
