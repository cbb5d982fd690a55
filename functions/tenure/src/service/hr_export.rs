//! A connection's HR export uploaded over HTTP ([`store_export`]): checked with the HR readers
//! the scheduled sync uses, and stored where it reads it (`connections/<id>/hr/workers.csv` or
//! `workers.json`; the other one is removed, so the run reads what was uploaded last). An
//! export the readers cannot read (not CSV or JSON, a missing column) is refused with the file
//! and line, and nothing is stored; records the readers quarantine are answered with their line
//! and reason, and set aside by every run as they would be from any other source.

use std::sync::Arc;

use serde::Serialize;

use crate::hr::{HrBatch, read_csv, read_json};
use crate::service::Services;
use crate::service::deliveries::{self, DeliveryOutcome, DeliveryRecord, DeliverySource};
use crate::service::schedule::EXPORT_NAMES;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectKey};

/// The largest export taken (what a Lambda function behind API Gateway can receive).
pub const MAX_EXPORT_BYTES: usize = 6 * 1024 * 1024;

/// The most problems an answer lists.
const MAX_PROBLEMS: usize = 50;

/// How the export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV with a header row (`text/csv`).
    Csv,
    /// A JSON array of workers, or JSON lines (`application/json`).
    Json,
}

impl ExportFormat {
    /// The format a `Content-Type` names.
    pub fn of_content_type(content_type: &str) -> Option<Self> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        match media.to_ascii_lowercase().as_str() {
            "text/csv" => Some(Self::Csv),
            "application/json" | "application/x-ndjson" | "application/jsonl" => Some(Self::Json),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Csv => EXPORT_NAMES[0],
            Self::Json => EXPORT_NAMES[1],
        }
    }
}

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredExport {
    /// Where the scheduled sync reads it.
    pub key: String,
    /// Its size.
    pub bytes: usize,
    /// How many workers it holds.
    pub workers: usize,
    /// The records set aside, each as `file:line: reason` (the first 50, then how many more).
    pub quarantined: Vec<String>,
    /// How many records were set aside.
    pub set_aside: usize,
}

/// Why an export was not stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HrExportError {
    /// Larger than [`MAX_EXPORT_BYTES`].
    #[error("the HR export is {0} bytes, more than the {MAX_EXPORT_BYTES} an upload may have")]
    TooLarge(usize),
    /// Not an export the HR readers can read; the problem with its `file:line`.
    #[error("the HR export was not stored: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The object store failed.
    #[error("the HR export could not be stored: {0}")]
    Unavailable(String),
}

impl HrExportError {
    /// The HTTP status that answers it.
    pub fn status(&self) -> u16 {
        match self {
            Self::TooLarge(_) => 413,
            Self::Invalid(_) => 400,
            Self::Unavailable(_) => 503,
        }
    }
}

/// Checks `bytes` as an export of `format` and stores it for `connection`'s scheduled sync;
/// the upload and its outcome are kept among the connection's deliveries
/// ([`crate::service::deliveries`]).
pub async fn store_export(
    services: &Services,
    connection: &ConnectionId,
    format: ExportFormat,
    bytes: Vec<u8>,
) -> Result<StoredExport, HrExportError> {
    let at = services.clock.now();
    let stored = store(services, connection, format, bytes).await;
    let outcome = match &stored {
        Ok(stored) => DeliveryOutcome::Stored {
            workers: stored.workers,
            set_aside: stored.set_aside,
        },
        Err(error) => DeliveryOutcome::Refused {
            status: error.status(),
            reason: error.to_string(),
        },
    };
    let record = DeliveryRecord {
        at,
        delivery_id: None,
        source: DeliverySource::Upload,
        outcome,
    };
    deliveries::record(services.objects.as_ref(), connection, &record).await;
    stored
}

async fn store(
    services: &Services,
    connection: &ConnectionId,
    format: ExportFormat,
    bytes: Vec<u8>,
) -> Result<StoredExport, HrExportError> {
    if bytes.len() > MAX_EXPORT_BYTES {
        return Err(HrExportError::TooLarge(bytes.len()));
    }
    let text = format!("connections/{connection}/hr/{}", format.name());
    let file: Arc<str> = format.name().into();
    let read = match format {
        ExportFormat::Csv => read_csv(&bytes, file),
        ExportFormat::Json => read_json(&bytes, file),
    };
    let HrBatch {
        workers,
        quarantined,
    } = read.map_err(|e| HrExportError::Invalid(vec![e.to_string()]))?;
    let mut set_aside: Vec<String> = quarantined
        .iter()
        .take(MAX_PROBLEMS)
        .map(|q| format!("{}: {}", q.source, q.reason))
        .collect();
    if quarantined.len() > MAX_PROBLEMS {
        set_aside.push(format!("and {} more", quarantined.len() - MAX_PROBLEMS));
    }
    let unavailable = |e: &dyn std::fmt::Display| HrExportError::Unavailable(e.to_string());
    let key = ObjectKey::parse(&text).map_err(|e| unavailable(&e))?;
    let size = bytes.len();
    services
        .objects
        .put(&key, bytes, Condition::Always)
        .await
        .map_err(|e| unavailable(&e))?;
    for other in EXPORT_NAMES.iter().filter(|n| **n != format.name()) {
        let other = ObjectKey::parse(&format!("connections/{connection}/hr/{other}"))
            .map_err(|e| unavailable(&e))?;
        services
            .objects
            .delete(&other)
            .await
            .map_err(|e| unavailable(&e))?;
    }
    tracing::info!(%connection, key = %key, workers = workers.len(), "HR export stored");
    Ok(StoredExport {
        key: key.to_string(),
        bytes: size,
        workers: workers.len(),
        quarantined: set_aside,
        set_aside: quarantined.len(),
    })
}

/// The export a connection's scheduled syncs read now, as its readers see it.
#[derive(Debug, Clone)]
pub struct ExportOverview {
    /// Where it is kept.
    pub key: String,
    /// How many workers it holds.
    pub workers: usize,
    /// The records set aside, with `file:line` and reason.
    pub quarantined: Vec<crate::hr::Quarantined>,
}

/// The export `connection`'s scheduled syncs read, if it has one.
pub async fn stored_export(
    services: &Services,
    connection: &ConnectionId,
) -> Result<Option<ExportOverview>, HrExportError> {
    use crate::service::schedule::{ScheduleError, read_export};
    match read_export(services, connection).await {
        Ok((key, batch)) => Ok(Some(ExportOverview {
            key: key.to_string(),
            workers: batch.workers.len(),
            quarantined: batch.quarantined,
        })),
        Err(ScheduleError::NoExport { .. }) => Ok(None),
        Err(error) => Err(HrExportError::Unavailable(error.to_string())),
    }
}
