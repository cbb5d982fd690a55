//! A connection's versions: which exist, which is active, and making one active.

use serde::Serialize;

use super::keys::{PluginSha256, record_key, version_of_record, versions_prefix};
use super::{PluginLoadError, UploadError, VersionRecord};
use crate::service::Services;
use crate::service::settings::{MappingSettings, PluginChoice, SettingsError};
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError};

/// How many times an activation re-reads settings that a concurrent writer changed.
const ACTIVATION_ATTEMPTS: usize = 8;

/// A connection's uploaded versions and the plugin its settings choose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Versions {
    /// The plugin the settings choose (`"standard"` or `{"uploaded": {"sha256": …}}`); `None`
    /// when the connection has no settings yet.
    pub active: Option<PluginChoice>,
    /// Every uploaded version, oldest first.
    pub versions: Vec<ListedVersion>,
}

/// One uploaded version in a [`Versions`] listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedVersion {
    /// What was kept about it.
    #[serde(flatten)]
    pub record: VersionRecord,
    /// Whether the settings choose it.
    pub active: bool,
}

/// Lists `connection`'s uploaded versions, oldest first, with the one that is active.
pub async fn list_versions(
    services: &Services,
    connection: &ConnectionId,
) -> Result<Versions, UploadError> {
    connection_must_exist(services, connection).await?;
    let active = match MappingSettings::load(services.objects.as_ref(), connection).await {
        Ok((settings, _)) => Some(settings.plugin),
        Err(SettingsError::Missing(_)) => None,
        Err(error) => return Err(UploadError::Settings(error)),
    };
    let keys = services.objects.list(&versions_prefix(connection)).await?;
    let mut versions = Vec::new();
    for sha256 in keys.iter().filter_map(version_of_record) {
        let Some(record) = stored_record(services, connection, &sha256).await? else {
            continue;
        };
        let is_active = matches!(&active, Some(PluginChoice::Uploaded { sha256: chosen }) if *chosen == record.sha256);
        versions.push(ListedVersion {
            record,
            active: is_active,
        });
    }
    versions.sort_by(|a, b| {
        (a.record.uploaded_at, &a.record.sha256).cmp(&(b.record.uploaded_at, &b.record.sha256))
    });
    Ok(Versions { active, versions })
}

/// Makes an uploaded version `connection`'s active plugin again, after checking that it takes
/// the connection's current mapping configuration. An unknown version is
/// [`UploadError::UnknownVersion`]; a connection without settings is [`UploadError::Settings`].
pub async fn activate(
    services: &Services,
    connection: &ConnectionId,
    sha256: &str,
) -> Result<VersionRecord, UploadError> {
    let sha256 = PluginSha256::parse(sha256).map_err(UploadError::InvalidVersion)?;
    connection_must_exist(services, connection).await?;
    let Some(record) = stored_record(services, connection, &sha256).await? else {
        return Err(UploadError::UnknownVersion {
            connection: connection.clone(),
            sha256: sha256.to_string(),
        });
    };
    let (settings, _) = MappingSettings::load(services.objects.as_ref(), connection)
        .await
        .map_err(UploadError::Settings)?;
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
        .await
        .map_err(|error| match error {
            PluginLoadError::UnknownVersion { connection, sha256 } => {
                UploadError::UnknownVersion { connection, sha256 }
            }
            error => UploadError::Load(error),
        })?;
    super::admission::check_config(&plugin, connection, &settings.config_json())?;
    set_active(services, connection, &sha256).await?;
    Ok(record)
}

/// Makes the standard mapper `connection`'s plugin again (the roll back from every uploaded
/// version), after checking that it takes the connection's current mapping configuration.
pub async fn activate_standard(
    services: &Services,
    connection: &ConnectionId,
) -> Result<(), UploadError> {
    connection_must_exist(services, connection).await?;
    let (settings, _) = MappingSettings::load(services.objects.as_ref(), connection)
        .await
        .map_err(UploadError::Settings)?;
    let plugin = super::load(services, connection, &PluginChoice::Standard)
        .await
        .map_err(UploadError::Load)?;
    super::admission::check_config(&plugin, connection, &settings.config_json())?;
    set_choice(services, connection, PluginChoice::Standard).await
}

/// Sets the settings' plugin to `sha256` by compare-and-swap, reading again when a concurrent
/// writer got there first.
pub(super) async fn set_active(
    services: &Services,
    connection: &ConnectionId,
    sha256: &PluginSha256,
) -> Result<(), UploadError> {
    let choice = PluginChoice::Uploaded {
        sha256: sha256.to_string(),
    };
    set_choice(services, connection, choice).await
}

async fn set_choice(
    services: &Services,
    connection: &ConnectionId,
    choice: PluginChoice,
) -> Result<(), UploadError> {
    let objects = services.objects.as_ref();
    for _ in 0..ACTIVATION_ATTEMPTS {
        let (mut settings, version) = MappingSettings::load(objects, connection)
            .await
            .map_err(UploadError::Settings)?;
        if settings.plugin == choice {
            return Ok(());
        }
        settings.plugin = choice.clone();
        match settings
            .save(objects, connection, Condition::Matches(version))
            .await
        {
            Ok(_) => return Ok(()),
            Err(SettingsError::Store(
                ObjectError::Conflict { .. } | ObjectError::NotFound { .. },
            )) => {}
            Err(error) => return Err(UploadError::Settings(error)),
        }
    }
    Err(UploadError::Contended(connection.clone()))
}

/// [`UploadError::UnknownConnection`] unless the connection store has `connection`.
pub(super) async fn connection_must_exist(
    services: &Services,
    connection: &ConnectionId,
) -> Result<(), UploadError> {
    match services.connections.get(connection).await? {
        Some(_) => Ok(()),
        None => Err(UploadError::UnknownConnection(connection.clone())),
    }
}

/// The record of a version uploaded for `connection`, if there is one.
pub(super) async fn stored_record(
    services: &Services,
    connection: &ConnectionId,
    sha256: &PluginSha256,
) -> Result<Option<VersionRecord>, UploadError> {
    let key = record_key(connection, sha256);
    let Some((bytes, _)) = services.objects.get(&key).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| UploadError::Internal(format!("the version record {key} is malformed: {e}")))
}
