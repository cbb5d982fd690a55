//! Trying a plugin on sample workers before it is stored: the connection's own HR export when
//! there is one, else Tenure's sample company.

use std::sync::Arc;

use super::{FailureKind, TrialReport, UploadError, WorkerFailure};
use crate::hr::{self, HrBatch, SourcedWorker};
use crate::plugin::{MapItem, Plugin, PluginError};
use crate::store::connections::ConnectionId;
use crate::store::objects::{ObjectKey, ObjectStore};
use crate::today::Today;

/// At most this many sample workers are tried (the first ones of the export), so an upload's
/// trial takes well under a second for a Rust plugin and a few seconds for a JavaScript or
/// Python one, whatever the size of the company.
pub const TRIAL_WORKERS: usize = 500;

/// How many failures a refusal quotes.
const QUOTED_FAILURES: usize = 3;

/// Tenure's sample company, tried when a connection has no HR export of its own.
static SAMPLE_COMPANY: &[u8] = include_bytes!("../../../../../samplesdata/company.csv");

/// Workers to try a plugin on, and where they came from.
pub(super) struct Samples {
    source: String,
    workers: Vec<SourcedWorker>,
}

impl Samples {
    /// The connection's HR export (`connections/<id>/hr/workers.csv`, else `.json`) if it has
    /// one with readable workers, else Tenure's sample company; at most [`TRIAL_WORKERS`].
    pub(super) async fn for_connection(
        objects: &dyn ObjectStore,
        connection: &ConnectionId,
    ) -> Result<Self, UploadError> {
        for extension in ["csv", "json"] {
            let key = ObjectKey::parse(&format!("connections/{connection}/hr/workers.{extension}"))
                .map_err(|e| UploadError::Internal(e.to_string()))?;
            let Some((bytes, _)) = objects.get(&key).await? else {
                continue;
            };
            let file: Arc<str> = key.as_str().into();
            let read = if extension == "csv" {
                hr::read_csv(&bytes, file)
            } else {
                hr::read_json(&bytes, file)
            };
            match read {
                Ok(batch) if !batch.workers.is_empty() => {
                    return Ok(Self::from_batch(key.to_string(), batch));
                }
                Ok(_) => {
                    tracing::warn!(%key, "the HR export has no valid worker; trying the sample company")
                }
                Err(error) => {
                    tracing::warn!(%key, %error, "the HR export cannot be read; trying the sample company")
                }
            }
        }
        Self::sample_company()
    }

    /// Tenure's sample company, at most [`TRIAL_WORKERS`] of it.
    pub(super) fn sample_company() -> Result<Self, UploadError> {
        let batch = hr::read_csv(SAMPLE_COMPANY, "samplesdata/company.csv".into())
            .map_err(|e| UploadError::Internal(format!("the sample company: {e}")))?;
        Ok(Self::from_batch(
            "Tenure's sample company (samplesdata/company.csv)".to_owned(),
            batch,
        ))
    }

    fn from_batch(source: String, mut batch: HrBatch) -> Self {
        batch.workers.truncate(TRIAL_WORKERS);
        Self {
            source,
            workers: batch.workers,
        }
    }

    /// Maps every sample worker with `config`. A worker the plugin refuses with its own reason
    /// counts as an answer; a trap, a hang, a memory bomb, an oversized answer or one that
    /// breaks the contract fails the trial, naming the first few workers it failed on by their
    /// position and the kind of failure only: nothing of a worker (an HR record) or of what the
    /// plugin wrote goes back to the uploader.
    pub(super) fn try_plugin(
        &self,
        plugin: &Plugin,
        config: &str,
        config_checked: bool,
    ) -> Result<TrialReport, UploadError> {
        let today = Today::now();
        let items: Vec<MapItem<'_>> = self
            .workers
            .iter()
            .map(|sourced| MapItem {
                worker: &sourced.worker,
                today: today.in_zone(sourced.worker.time_zone.as_ref()),
                has_account: false,
            })
            .collect();
        // The tenant's verified domains are not known here; without them a plugin accepts any.
        let outcome = plugin.map_all(&items, &[], config);
        let mut mapped = 0;
        let mut refused = 0;
        let mut failures = Vec::new();
        for (position, result) in (1..).zip(outcome.results) {
            match result {
                Ok(_) => mapped += 1,
                Err(PluginError::Refused(_)) => refused += 1,
                Err(error) => failures.push(WorkerFailure {
                    position,
                    kind: FailureKind::of(&error),
                }),
            }
        }
        if !failures.is_empty() {
            let failed = failures.len();
            failures.truncate(QUOTED_FAILURES);
            return Err(UploadError::TrialFailed {
                source_name: self.source.clone(),
                tried: self.workers.len(),
                failed,
                first: failures,
            });
        }
        Ok(TrialReport {
            source: self.source.clone(),
            workers_tried: self.workers.len(),
            workers_mapped: mapped,
            workers_refused: refused,
            fuel_consumed: outcome.fuel_consumed,
            config_checked,
        })
    }
}
