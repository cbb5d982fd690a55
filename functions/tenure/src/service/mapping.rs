//! A connection's mapping configuration, checked and previewed before it is kept: the plugin
//! the settings choose (the standard mapper when there are none yet) checks the configuration
//! with the tenant's verified domains ([`check`]); a preview plans the connection's HR (its
//! stored export, else its workers' last known records) against its cached directory with the
//! new configuration ([`preview`]); [`save`] checks again and keeps it by compare-and-swap, the
//! plugin choice and the guard untouched. The console's Mapping page and the HTTP API call
//! these; nothing is applied.

use serde_json::Value;

use super::Services;
use super::plugins::{self, FailureKind, PluginLoadError};
use super::provision::records;
use super::schedule::{self, ScheduleError};
use super::settings::{MappingSettings, PluginChoice, SettingsError};
use crate::desired::MappingError;
use crate::pipeline::{self, PipelineError, PlanRequest};
use crate::plan::Plan;
use crate::plugin::PluginError;
use crate::store::connections::{ConnectionError, ConnectionId};
use crate::store::objects::{Condition, ObjectError};
use crate::today::Today;

/// How many times a save re-reads settings that a concurrent writer changed.
const SAVE_ATTEMPTS: usize = 8;

/// Why a configuration was not checked, previewed or kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The text is not JSON, or not a JSON object.
    #[error("the configuration is not a JSON object: {message}")]
    NotJson {
        /// What is wrong, and where (line and column) when the JSON reader says.
        message: String,
        /// The line (1-based) where the reader stopped.
        line: usize,
        /// The column (1-based) where the reader stopped.
        column: usize,
    },
    /// The plugin refused the configuration, with the path at fault when it names one.
    #[error("the plugin refused the configuration: {0}")]
    Refused(MappingError),
    /// The plugin failed while checking (a trap, a hang, too much memory).
    #[error("the plugin failed while checking the configuration ({0})")]
    CheckFailed(FailureKind),
    /// The plugin could not be loaded.
    #[error(transparent)]
    Plugin(#[from] PluginLoadError),
    /// The settings could not be read or written.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The connection's HR could not be read for the preview.
    #[error(transparent)]
    Hr(ScheduleError),
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PipelineError),
    /// The connection does not exist.
    #[error("connection {0} does not exist")]
    UnknownConnection(ConnectionId),
    /// Other writers kept changing the settings.
    #[error("the mapping settings kept changing while saving; try again")]
    Contended,
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] ObjectError),
    /// The connection store failed.
    #[error(transparent)]
    Connections(#[from] ConnectionError),
}

impl ConfigError {
    /// The configuration path the error is about, when the plugin named one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Refused(error) => error.field.as_deref(),
            _ => None,
        }
    }
}

/// A preview of a configuration: the plan it would make now, or why there is none.
#[derive(Debug)]
pub enum Preview {
    /// The plan on the connection's HR against its cached directory.
    Plan {
        /// Where the workers came from (an object key).
        source: String,
        /// The plan (nothing applied).
        plan: Box<Plan>,
    },
    /// Nothing to plan against yet, and what to do about it.
    Unavailable(String),
}

/// Reads a configuration typed by a person: a JSON object, or where it is not one.
pub fn parse(text: &str) -> Result<Value, ConfigError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::NotJson {
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    if !value.is_object() {
        return Err(ConfigError::NotJson {
            message: "it must be an object ({ … })".to_owned(),
            line: 1,
            column: 1,
        });
    }
    Ok(value)
}

/// What checking and previewing a configuration work with, read once: the connection's plugin
/// (the standard mapper when it has no settings yet), its guard, and the directory last read.
struct Context {
    plugin: std::sync::Arc<crate::plugin::Plugin>,
    guard: crate::guard::GuardPolicy,
    cached: Option<crate::microsoft::CachedDirectory>,
}

impl Context {
    async fn load(services: &Services, connection: &ConnectionId) -> Result<Self, ConfigError> {
        let Some((record, _)) = services.connections.get(connection).await? else {
            return Err(ConfigError::UnknownConnection(connection.clone()));
        };
        let (choice, guard) =
            match MappingSettings::load(services.objects.as_ref(), connection).await {
                Ok((settings, _)) => (settings.plugin, settings.guard.policy()),
                Err(SettingsError::Missing(_)) => (PluginChoice::Standard, Default::default()),
                Err(error) => return Err(error.into()),
            };
        let plugin = plugins::load(services, connection, &choice).await?;
        let cache = records::read_cache(services.objects.as_ref(), connection).await;
        let (cached, _) = records::decode_cache(cache, connection, &record.endpoints().graph);
        Ok(Self {
            plugin,
            guard,
            cached,
        })
    }

    /// The plugin's check of `config`, with the tenant's verified domains as last read (none
    /// before a first read: the plugin then checks only the configuration's own shape).
    fn check(&self, config: &Value) -> Result<(), ConfigError> {
        let domains = self
            .cached
            .as_ref()
            .map(|c| c.directory.tenant.verified_domains.clone())
            .unwrap_or_default();
        match self.plugin.validate_config(&config.to_string(), &domains) {
            Ok(_) => Ok(()),
            Err(PluginError::Config(error)) => Err(ConfigError::Refused(error)),
            Err(error) => Err(ConfigError::CheckFailed(FailureKind::of(&error))),
        }
    }
}

/// Checks `config` with the plugin the connection's settings choose.
pub async fn check(
    services: &Services,
    connection: &ConnectionId,
    config: &Value,
) -> Result<(), ConfigError> {
    Context::load(services, connection).await?.check(config)
}

/// Checks `config`, then plans the connection's HR against its cached directory with it.
pub async fn preview(
    services: &Services,
    connection: &ConnectionId,
    config: &Value,
) -> Result<Preview, ConfigError> {
    let context = Context::load(services, connection).await?;
    context.check(config)?;
    let Some(cached) = &context.cached else {
        return Ok(Preview::Unavailable(
            "No directory has been read for this connection yet: the preview plans against the directory its last sync read. Run a sync first."
                .to_owned(),
        ));
    };
    let (source, hr) = match schedule::read_hr(services, connection).await {
        Ok(found) => found,
        Err(error @ ScheduleError::NoExport { .. }) => {
            return Ok(Preview::Unavailable(error.to_string()));
        }
        Err(error) => return Err(ConfigError::Hr(error)),
    };
    let plan = pipeline::plan(PlanRequest {
        hr,
        directory: &cached.directory,
        plugin: &context.plugin,
        plugin_config: &config.to_string(),
        today: Today::Instant(services.clock.now()),
        guard: context.guard,
        first_day_delivered: Default::default(),
    })?;
    Ok(Preview::Plan {
        source: source.to_string(),
        plan: Box::new(plan),
    })
}

/// Checks `config` and keeps it as the connection's mapping configuration (new settings with
/// the standard mapper when there are none; otherwise the configuration changes, and the
/// guard's largest share when `max_disable_share` is given). Returns the settings kept.
pub async fn save(
    services: &Services,
    connection: &ConnectionId,
    config: Value,
    max_disable_share: Option<f64>,
) -> Result<MappingSettings, ConfigError> {
    check(services, connection, &config).await?;
    let objects = services.objects.as_ref();
    for _ in 0..SAVE_ATTEMPTS {
        let (mut settings, condition) = match MappingSettings::load(objects, connection).await {
            Ok((mut settings, version)) => {
                settings.config = config.clone();
                (settings, Condition::Matches(version))
            }
            Err(SettingsError::Missing(_)) => {
                (MappingSettings::standard(config.clone()), Condition::Absent)
            }
            Err(error) => return Err(error.into()),
        };
        if let Some(share) = max_disable_share {
            settings.guard.max_share = share;
        }
        match settings.save(objects, connection, condition).await {
            Ok(_) => return Ok(settings),
            Err(SettingsError::Store(ObjectError::Conflict { .. })) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(ConfigError::Contended)
}
