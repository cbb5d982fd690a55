//! Why a plugin cannot be loaded, uploaded or activated.

use std::fmt;
use std::time::Duration;

use super::InvalidPluginVersion;
use crate::plugin::PluginError;
use crate::service::settings::SettingsError;
use crate::store::connections::{ConnectionError, ConnectionId};
use crate::store::key_ring::KeyRingError;
use crate::store::objects::ObjectError;

/// Why a connection's plugin cannot be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginLoadError {
    /// The settings name a plugin version that was never uploaded for the connection.
    #[error("plugin version {sha256} of connection {connection} was never uploaded")]
    UnknownVersion {
        /// The connection.
        connection: ConnectionId,
        /// The version named.
        sha256: String,
    },
    /// The stored WebAssembly of a version does not have the digest it is stored under.
    #[error(
        "the stored WebAssembly of plugin version {sha256} of connection {connection} is \
         damaged (its SHA-256 differs): upload the plugin again"
    )]
    Damaged {
        /// The connection.
        connection: ConnectionId,
        /// The version.
        sha256: String,
    },
    /// The plugin failed the host's checks or could not be compiled.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// The deployment's compiled-code key could not be read or made.
    #[error("cannot read the key that authenticates compiled plugins: {0}")]
    Keys(#[from] KeyRingError),
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] ObjectError),
}

/// What kind of failure a plugin had on a sample worker or its configuration: only the host's
/// own words and limits, never the plugin's output or stderr (which may hold HR values).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// A panic, a trap, an exit.
    Crashed,
    /// It ran out of this much fuel.
    OutOfFuel {
        /// The fuel it was given.
        fuel: u64,
    },
    /// It ran longer than this.
    TimedOut {
        /// The deadline.
        after: Duration,
    },
    /// Its memories and tables together went over this many bytes.
    MemoryLimit {
        /// The limit.
        bytes: usize,
    },
    /// It declares more memories or tables than the sandbox allows.
    TooManyResources,
    /// One worker's answer was larger than this many bytes.
    AnswerTooLarge {
        /// The limit.
        limit: usize,
    },
    /// It tried to use something the sandbox denies, such as file access.
    Denied {
        /// What, in the host's words.
        capability: String,
    },
    /// Its answer breaks the contract.
    BrokeContract,
    /// Anything else.
    Other,
}

impl FailureKind {
    /// The kind of `error`.
    pub fn of(error: &PluginError) -> Self {
        match error {
            PluginError::Trap { .. } => Self::Crashed,
            PluginError::FuelExhausted { fuel } => Self::OutOfFuel { fuel: *fuel },
            PluginError::Timeout { after } => Self::TimedOut { after: *after },
            PluginError::MemoryLimit { bytes } => Self::MemoryLimit { bytes: *bytes },
            PluginError::TooManyResources { .. } => Self::TooManyResources,
            PluginError::OutputTooLarge { limit, .. } => Self::AnswerTooLarge { limit: *limit },
            PluginError::Denied { capability } => Self::Denied {
                capability: capability.clone(),
            },
            PluginError::InvalidOutput { .. } => Self::BrokeContract,
            _ => Self::Other,
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Crashed => f.write_str("it crashed (a panic, a trap or an exit)"),
            Self::OutOfFuel { fuel } => write!(f, "it ran out of fuel ({fuel} units)"),
            Self::TimedOut { after } => write!(f, "it ran longer than {after:?}"),
            Self::MemoryLimit { bytes } => {
                write!(f, "it used more than {bytes} bytes of memory")
            }
            Self::TooManyResources => {
                f.write_str("it declares more memories or tables than the sandbox allows")
            }
            Self::AnswerTooLarge { limit } => {
                write!(
                    f,
                    "its answer was more than the {limit} bytes one worker's may be"
                )
            }
            Self::Denied { capability } => write!(f, "it tried to use {capability}, denied"),
            Self::BrokeContract => f.write_str("its answer breaks the contract"),
            Self::Other => f.write_str("it failed"),
        }
    }
}

/// One sample worker a plugin failed on during its trial: where the worker is among the
/// samples, and what kind of failure it was. Nothing of the worker or of what the plugin
/// said is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerFailure {
    /// The worker's position among the sample workers, from 1.
    pub position: usize,
    /// What went wrong.
    pub kind: FailureKind,
}

impl fmt::Display for WorkerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "worker #{}: {}", self.position, self.kind)
    }
}

/// Why an upload or an activation was refused. Nothing refused is stored or activated, except
/// as [`UploadError::NotActivated`] says.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// There is no such connection.
    #[error("there is no connection {0}")]
    UnknownConnection(ConnectionId),
    /// The upload is larger than the limit.
    #[error(
        "the plugin is {bytes} bytes, more than the {limit} bytes an upload may have; build it \
         in release mode without debug information"
    )]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes are not a plugin this Tenure runs: not a component, the wrong world or
    /// version, a forbidden import.
    #[error("the plugin was refused: {0}")]
    Invalid(#[source] PluginError),
    /// The plugin refused the connection's stored mapping configuration.
    #[error("the plugin refused connection {connection}'s mapping configuration: {error}")]
    ConfigRefused {
        /// The connection.
        connection: ConnectionId,
        /// What the plugin said.
        #[source]
        error: PluginError,
    },
    /// Checking the connection's mapping configuration failed (other than by the plugin's
    /// refusal of it).
    #[error(
        "the plugin failed while checking connection {connection}'s mapping configuration: \
         {kind} (its own output is not shown; try it locally with `tenure plan --plugin`)"
    )]
    ConfigCheckFailed {
        /// The connection.
        connection: ConnectionId,
        /// What went wrong.
        kind: FailureKind,
    },
    /// The plugin failed on sample workers: a trap, fuel, a deadline, memory, or an answer
    /// that breaks the contract.
    #[error("{}", describe_failures(.source_name, .tried, .failed, .first))]
    TrialFailed {
        /// Where the workers came from.
        source_name: String,
        /// Workers tried.
        tried: usize,
        /// Workers it failed on.
        failed: usize,
        /// The first few failures.
        first: Vec<WorkerFailure>,
    },
    /// The version named was never uploaded for the connection.
    #[error("plugin version {sha256} was never uploaded for connection {connection}")]
    UnknownVersion {
        /// The connection.
        connection: ConnectionId,
        /// The version named.
        sha256: String,
    },
    /// The version named is not a SHA-256.
    #[error(transparent)]
    InvalidVersion(#[from] InvalidPluginVersion),
    /// The version was stored but could not be activated (the connection has no mapping
    /// settings yet, or they are invalid).
    #[error("plugin version {sha256} was stored but not activated: {reason}")]
    NotActivated {
        /// The version stored.
        sha256: String,
        /// Why it was not activated.
        #[source]
        reason: SettingsError,
    },
    /// The connection's mapping settings cannot be read.
    #[error(transparent)]
    Settings(SettingsError),
    /// The connection uploaded as many plugins as it may within the window.
    #[error(
        "connection {connection} has uploaded {limit} plugins within {window:?}, as many as it \
         may; try again in {retry_after:?}"
    )]
    RateLimited {
        /// The connection.
        connection: ConnectionId,
        /// Uploads allowed within the window.
        limit: usize,
        /// The window.
        window: Duration,
        /// When the next upload will be taken (the `Retry-After` header).
        retry_after: Duration,
    },
    /// The settings kept changing under a concurrent writer.
    #[error(
        "the mapping settings of connection {0} kept changing while the plugin was being \
         activated; try again"
    )]
    Contended(ConnectionId),
    /// The stored plugin could not be loaded.
    #[error(transparent)]
    Load(#[from] PluginLoadError),
    /// The connection store failed.
    #[error(transparent)]
    Connections(#[from] ConnectionError),
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] ObjectError),
    /// An upload URL asked for no bytes.
    #[error("an upload URL is for a plugin's bytes: ask for one with \"bytes\" above 0")]
    EmptyUpload,
    /// The upload id names no upload of the connection: never issued, or used already.
    #[error(
        "there is no upload {upload:?} for connection {connection}: it was completed already or \
         never issued; ask for a new upload URL"
    )]
    UnknownUpload {
        /// The connection.
        connection: ConnectionId,
        /// The id given (its start).
        upload: String,
    },
    /// Nothing was uploaded to the upload's URL (yet).
    #[error("nothing has arrived for upload {upload} yet: PUT the plugin to its URL first")]
    NothingUploaded {
        /// The upload.
        upload: String,
    },
    /// The upload's URL expired before anything arrived.
    #[error(
        "upload {upload}'s URL expired at {expired_at} with nothing uploaded; ask for a new one"
    )]
    UploadExpired {
        /// The upload.
        upload: String,
        /// When it expired.
        expired_at: jiff::Timestamp,
    },
    /// The bytes that arrived are not as many as the upload URL was issued for.
    #[error(
        "the upload URL was issued for {expected} bytes and {got} arrived; ask for a URL for \
         the plugin's exact size"
    )]
    UploadLength {
        /// The bytes the URL was issued for.
        expected: u64,
        /// The bytes that came.
        got: u64,
    },
    /// The upload's bytes arrived, or it was completed, already: each URL takes one plugin, once.
    #[error("upload {upload} was used already: each upload URL takes one plugin, once")]
    UploadUsed {
        /// The upload.
        upload: String,
    },
    /// Something failed in Tenure itself.
    #[error("the plugin upload failed inside Tenure: {0}")]
    Internal(String),
}

fn describe_failures(
    source_name: &str,
    tried: &usize,
    failed: &usize,
    first: &[WorkerFailure],
) -> String {
    let listed: Vec<String> = first.iter().map(ToString::to_string).collect();
    let more = failed.saturating_sub(first.len());
    let more = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    format!(
        "the plugin failed on {failed} of the {tried} sample workers from {source_name}: \
         {}{more} (workers are counted from 1 in the order of the samples; what the plugin \
         wrote is not shown, as it may hold HR data: try it locally with `tenure plan --plugin`)",
        listed.join("; ")
    )
}

impl UploadError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::UnknownConnection(_)
            | Self::UnknownVersion { .. }
            | Self::UnknownUpload { .. } => 404,
            Self::UploadExpired { .. } => 410,
            Self::NothingUploaded { .. } | Self::UploadUsed { .. } => 409,
            Self::EmptyUpload | Self::UploadLength { .. } => 400,
            Self::TooLarge { .. } => 413,
            Self::Invalid(_)
            | Self::ConfigRefused { .. }
            | Self::ConfigCheckFailed { .. }
            | Self::TrialFailed { .. }
            | Self::InvalidVersion(_) => 400,
            Self::NotActivated { .. } | Self::Settings(_) | Self::Contended(_) => 409,
            Self::RateLimited { .. } => 429,
            Self::Connections(_) | Self::Store(_) => 503,
            Self::Load(PluginLoadError::Store(_) | PluginLoadError::Keys(_)) => 503,
            Self::Load(_) | Self::Internal(_) => 500,
        }
    }
}
