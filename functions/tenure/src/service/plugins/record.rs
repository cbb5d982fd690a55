//! What the registry keeps about each uploaded version besides its bytes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{InvalidPluginVersion, PluginSha256};

/// The version of the record format written by this code.
pub const RECORD_FORMAT: u32 = 1;

/// An uploaded version, as kept at `plugins/<connection>/<sha256>.json`. Written once, when the
/// version is first stored; its presence is what makes the version exist for the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRecord {
    /// The format version, [`RECORD_FORMAT`].
    pub format: u32,
    /// The SHA-256 of the WebAssembly, lower-case hex.
    pub sha256: String,
    /// The size of the WebAssembly, in bytes.
    pub size: usize,
    /// When it was first uploaded.
    pub uploaded_at: Timestamp,
    /// What trying it on sample workers showed.
    pub trial: TrialReport,
}

/// What trying a plugin on sample workers showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialReport {
    /// Where the workers came from: the connection's HR export (its key) or Tenure's sample
    /// company.
    pub source: String,
    /// Workers tried.
    pub workers_tried: usize,
    /// Workers the plugin mapped to a desired state.
    pub workers_mapped: usize,
    /// Workers the plugin refused with its own reason (an answer, not a failure).
    pub workers_refused: usize,
    /// Fuel burnt mapping them all (deterministic for the same plugin, workers and
    /// configuration).
    pub fuel_consumed: u64,
    /// Whether the connection's mapping configuration was checked by the plugin (only when the
    /// connection has settings).
    pub config_checked: bool,
}

impl VersionRecord {
    /// The version this record is about.
    pub fn version(&self) -> Result<PluginSha256, InvalidPluginVersion> {
        PluginSha256::parse(&self.sha256)
    }
}
