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
    /// Which changes wait for a person even when the guard lets them through. Default
    /// [`Supervision::Automatic`] (settings written before it existed read as that).
    #[serde(default)]
    pub supervision: Supervision,
}

/// Which of a connection's changes wait for a person's approval before they are applied,
/// besides those the guard refuses ([`crate::service::guard::supervise`] decides).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supervision {
    /// Only what the guard refuses (a mass change, the budget spent) is held.
    #[default]
    Automatic,
    /// Every plan with a leaver (an account disabled, access removed as the worker leaves) is
    /// held, and what the guard refuses.
    Leavers,
    /// Every plan that changes anything is held.
    EveryChange,
}

impl Supervision {
    /// Every mode, in the order forms list them.
    pub const ALL: [Self; 3] = [Self::Automatic, Self::Leavers, Self::EveryChange];

    /// The name in settings, forms and the CLI (`automatic`, `leavers`, `every_change`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Automatic => "automatic",
            Self::Leavers => "leavers",
            Self::EveryChange => "every_change",
        }
    }

    /// The mode a name (as [`Self::name`] gives it; `-` for `_` too) stands for.
    pub fn parse(name: &str) -> Result<Self, String> {
        let wanted = name.trim().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|mode| mode.name() == wanted)
            .ok_or_else(|| {
                format!("{name:?} is not a supervision mode (automatic, leavers or every_change)")
            })
    }

    /// What the mode means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Automatic => {
                "Automatic: changes are applied as they come; only what the guard refuses waits for approval"
            }
            Self::Leavers => {
                "Supervised for leavers and guard refusals: every plan with a leaver waits for approval"
            }
            Self::EveryChange => "Supervised for every change: every plan waits for approval",
        }
    }
}

impl Default for GuardSettings {
    fn default() -> Self {
        let policy = GuardPolicy::default();
        Self {
            max_share: policy.max_share,
            min_users: policy.min_users,
            budget: BudgetSettings::default(),
            supervision: Supervision::Automatic,
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
    /// Other writers kept changing the settings.
    #[error("the settings of connection {0} kept changing under this change; try again")]
    Contended(ConnectionId),
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] ObjectError),
}

/// How many times a change of the settings is tried when another writer changed them meanwhile.
const SAVE_ATTEMPTS: usize = 8;

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

    /// Sets the connection's supervision ([`GuardSettings::supervision`]) by compare-and-swap,
    /// everything else as it is; returns the settings kept. A connection without mapping
    /// settings is refused ([`SettingsError::Missing`]): it has nothing to supervise yet.
    pub async fn set_supervision(
        objects: &dyn ObjectStore,
        connection: &ConnectionId,
        supervision: Supervision,
    ) -> Result<Self, SettingsError> {
        for _ in 0..SAVE_ATTEMPTS {
            let (mut settings, version) = Self::load(objects, connection).await?;
            settings.guard.supervision = supervision;
            match settings
                .save(objects, connection, Condition::Matches(version))
                .await
            {
                Ok(_) => {
                    tracing::info!(%connection, supervision = supervision.name(), "supervision set");
                    return Ok(settings);
                }
                Err(SettingsError::Store(ObjectError::Conflict { .. })) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(SettingsError::Contended(connection.clone()))
    }

    /// The configuration as the plugin takes it (JSON text).
    pub fn config_json(&self) -> String {
        self.config.to_string()
    }
}
