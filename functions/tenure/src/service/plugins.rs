//! The plugin a connection's settings choose, loaded for a run.

use std::sync::Arc;

use super::Services;
use super::settings::PluginChoice;
use crate::plugin::{Plugin, PluginError, STANDARD_MAPPER};
use crate::store::connections::ConnectionId;
use crate::store::objects::{ObjectError, ObjectKey};

/// Why a connection's plugin cannot be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginLoadError {
    /// The settings name a plugin version that was never uploaded.
    #[error("plugin version {sha256} of connection {connection} was never uploaded")]
    UnknownVersion {
        /// The connection.
        connection: ConnectionId,
        /// The version named.
        sha256: String,
    },
    /// The plugin failed the host's checks or could not be compiled.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] ObjectError),
}

/// The key of an uploaded plugin version's WebAssembly.
pub fn wasm_key(connection: &ConnectionId, sha256: &str) -> Result<ObjectKey, ObjectError> {
    ObjectKey::parse(&format!("plugins/{connection}/{sha256}.wasm")).map_err(|e| {
        ObjectError::Unavailable {
            operation: "read",
            target: format!("plugin version {sha256:?}"),
            message: e.to_string(),
        }
    })
}

/// Loads the plugin `choice` names for `connection`.
pub async fn load(
    services: &Services,
    connection: &ConnectionId,
    choice: &PluginChoice,
) -> Result<Arc<Plugin>, PluginLoadError> {
    let wasm = match choice {
        PluginChoice::Standard => STANDARD_MAPPER.to_vec(),
        PluginChoice::Uploaded { sha256 } => {
            let key = wasm_key(connection, sha256)?;
            match services.objects.get(&key).await? {
                Some((bytes, _)) => bytes,
                None => {
                    return Err(PluginLoadError::UnknownVersion {
                        connection: connection.clone(),
                        sha256: sha256.clone(),
                    });
                }
            }
        }
    };
    Ok(Arc::new(services.plugins.load(&wasm)?))
}
