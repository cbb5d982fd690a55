//! A connection's mapping settings: which plugin maps its workers, the plugin's configuration,
//! and the guard. One JSON object per connection, `connections/<id>/mapping.json` in the object
//! store.

use serde::{Deserialize, Serialize};

use crate::guard::GuardPolicy;
use crate::store::Version;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore};

/// The version of the settings format written by this code.
pub const SETTINGS_FORMAT: u32 = 1;

/// How a connection's workers become desired states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSettings {
    /// The format version, [`SETTINGS_FORMAT`].
    pub format: u32,
    /// The plugin.
    pub plugin: PluginChoice,
    /// The plugin's configuration (for the standard mapper: domains, UPN patterns, rules).
    pub config: serde_json::Value,
    /// The guard against mass changes.
    #[serde(default)]
    pub guard: GuardSettings,
    /// Days a terminated worker's last known record (`connections/<id>/hr/known/`, kept for a
    /// connection fed by webhooks) is kept after their termination date; the scheduled sync
    /// removes it then. Default [`KNOWN_RETENTION_DAYS`].
    #[serde(default = "known_retention_days")]
    pub known_retention_days: u32,
}

/// The default of [`MappingSettings::known_retention_days`]: 90 days, long enough for a late
/// correction from HR (a rehire, a changed last day) to still be filled from the record.
pub const KNOWN_RETENTION_DAYS: u32 = 90;

fn known_retention_days() -> u32 {
    KNOWN_RETENTION_DAYS
}

/// Which plugin maps a connection's workers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PluginChoice {
    /// The standard mapper built into Tenure.
    Standard,
    /// An uploaded plugin version, by the SHA-256 (hex) of its WebAssembly.
    Uploaded {
        /// The SHA-256 of the component, lower-case hex.
        sha256: String,
    },
}

/// The guard's limits for a connection.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardSettings {
    /// The largest share of managed users one change (a webhook delivery, a scheduled export,
    /// a provision run) may disable or strip. Default 0.10.
    pub max_share: f64,
    /// A change touching at most this many users always passes. Default 5.
    pub min_users: usize,
    /// The rolling 24-hour budget every provision run draws from.
    #[serde(default)]
    pub budget: BudgetSettings,
}

impl Default for GuardSettings {
    fn default() -> Self {
        let policy = GuardPolicy::default();
        Self {
            max_share: policy.max_share,
            min_users: policy.min_users,
            budget: BudgetSettings::default(),
        }
    }
}

/// How many users a connection's runs may disable, take licenses from and remove from groups
/// in any 24 hours, together: for each of the three kinds, the larger of `daily_min` and
/// `daily_share` of the managed users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSettings {
    /// The share of managed users (0.0–1.0) per kind and 24 hours. Default 0.10.
    pub daily_share: f64,
    /// Per kind and 24 hours, at least this many users (small tenants). Default 5.
    pub daily_min: usize,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        Self {
            daily_share: 0.10,
            daily_min: 5,
        }
    }
}

impl BudgetSettings {
    /// The users per kind and 24 hours for a directory of `managed_users` managed users.
    pub fn limit(&self, managed_users: usize) -> usize {
        let share = (self.daily_share.clamp(0.0, 1.0) * managed_users as f64).floor() as usize;
        share.max(self.daily_min)
    }
}

impl GuardSettings {
    /// The guard policy of a change (never pre-allowed: a refused plan waits for a person;
    /// group removals count).
    pub fn policy(&self) -> GuardPolicy {
        GuardPolicy {
            max_share: self.max_share,
            min_users: self.min_users,
            allow: false,
            count_group_removals: true,
        }
    }
}

/// Why a connection's settings cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// No settings were stored for the connection.
    #[error(
        "connection {0} has no mapping settings yet: store them first (tenure connect mapping \
         --connection {0} --config <file>)"
    )]
    Missing(ConnectionId),
    /// The stored settings are malformed.
    #[error("the mapping settings of connection {connection} are invalid: {message}")]
    Invalid {
        /// The connection.
        connection: ConnectionId,
        /// What is wrong, with the JSON path.
        message: String,
    },
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] ObjectError),
}

/// The key of a connection's settings.
pub fn settings_key(connection: &ConnectionId) -> ObjectKey {
    ObjectKey::parse(&format!("connections/{connection}/mapping.json"))
        .expect("a connection id is a valid key segment")
}

impl MappingSettings {
    /// The standard mapper with `config`, the default guard.
    pub fn standard(config: serde_json::Value) -> Self {
        Self {
            format: SETTINGS_FORMAT,
            plugin: PluginChoice::Standard,
            config,
            guard: GuardSettings::default(),
            known_retention_days: KNOWN_RETENTION_DAYS,
        }
    }

    /// Reads a connection's settings and their version.
    pub async fn load(
        objects: &dyn ObjectStore,
        connection: &ConnectionId,
    ) -> Result<(Self, Version), SettingsError> {
        let Some((bytes, version)) = objects.get(&settings_key(connection)).await? else {
            return Err(SettingsError::Missing(connection.clone()));
        };
        let invalid = |message: String| SettingsError::Invalid {
            connection: connection.clone(),
            message,
        };
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let settings: Self = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| invalid(format!("at {}: {}", e.path(), e.inner())))?;
        if settings.format != SETTINGS_FORMAT {
            return Err(invalid(format!(
                "format {} is not one this version of Tenure reads ({SETTINGS_FORMAT})",
                settings.format
            )));
        }
        Ok((settings, version))
    }

    /// Stores the settings if `condition` holds; returns the new version.
    pub async fn save(
        &self,
        objects: &dyn ObjectStore,
        connection: &ConnectionId,
        condition: Condition,
    ) -> Result<Version, SettingsError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| SettingsError::Invalid {
            connection: connection.clone(),
            message: e.to_string(),
        })?;
        Ok(objects
            .put(&settings_key(connection), bytes, condition)
            .await?)
    }

    /// The configuration as the plugin takes it (JSON text).
    pub fn config_json(&self) -> String {
        self.config.to_string()
    }
}
