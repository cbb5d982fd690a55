//! The checks a plugin passes before it is stored, shared by [`upload`](super::upload) and
//! `tenure plugin check` (which runs them offline, against the local state folder, and stores
//! nothing): the host's load checks (size, component, contract and version, imports), the
//! connection's stored mapping configuration, and the trial on sample workers.

use std::sync::Arc;

use super::trial::Samples;
use super::{FailureKind, TrialReport, UploadError};
use crate::plugin::{Plugin, PluginError, PluginHost};
use crate::service::settings::{MappingSettings, SettingsError};
use crate::store::connections::ConnectionId;
use crate::store::objects::ObjectStore;

/// Loads `wasm` in `host` (checking and compiling it, as an upload does), with an upload's
/// errors.
pub fn compile(host: &PluginHost, wasm: &[u8]) -> Result<Plugin, UploadError> {
    host.load(wasm).map_err(refused)
}

/// An upload's error for a plugin the host would not load or compile.
pub(super) fn refused(error: PluginError) -> UploadError {
    match error {
        PluginError::TooLarge { bytes, limit } => UploadError::TooLarge { bytes, limit },
        error @ PluginError::Internal { .. } => UploadError::Internal(error.to_string()),
        error => UploadError::Invalid(error),
    }
}

/// The checks after compiling: the connection's stored mapping configuration, when it has
/// mapping settings, must be accepted by the plugin; and the plugin must map the sample
/// workers (the connection's HR export, else Tenure's sample company; without a connection,
/// the sample company and the configuration `{}`) without a trap, a hang, a memory bomb or an
/// answer that breaks the contract. Reads `objects`, writes nothing.
pub async fn admit(
    objects: &dyn ObjectStore,
    connection: Option<&ConnectionId>,
    plugin: Arc<Plugin>,
) -> Result<TrialReport, UploadError> {
    let settings = match connection {
        Some(connection) => match MappingSettings::load(objects, connection).await {
            Ok((settings, _)) => Some((connection, settings)),
            Err(SettingsError::Missing(_)) => None,
            Err(error) => return Err(UploadError::Settings(error)),
        },
        None => None,
    };
    let config = match &settings {
        Some((connection, settings)) => {
            let config = settings.config_json();
            check_config(&plugin, connection, &config)?;
            config
        }
        None => "{}".to_owned(),
    };
    let samples = match connection {
        Some(connection) => Samples::for_connection(objects, connection).await?,
        None => Samples::sample_company()?,
    };
    let config_checked = settings.is_some();
    tokio::task::spawn_blocking(move || samples.try_plugin(&plugin, &config, config_checked))
        .await
        .map_err(|e| UploadError::Internal(format!("the trial stopped: {e}")))?
}

/// Whether the plugin takes the connection's configuration.
pub(super) fn check_config(
    plugin: &Plugin,
    connection: &ConnectionId,
    config: &str,
) -> Result<(), UploadError> {
    match plugin.validate_config(config, &[]) {
        Ok(_) => Ok(()),
        Err(error @ PluginError::Config(_)) => Err(UploadError::ConfigRefused {
            connection: connection.clone(),
            error,
        }),
        Err(error) => Err(UploadError::ConfigCheckFailed {
            connection: connection.clone(),
            kind: FailureKind::of(&error),
        }),
    }
}
