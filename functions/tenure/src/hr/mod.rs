//! HR input: readers for CSV and JSON, and the checks that quarantine bad records.
//!
//! Every record is judged on its own first (`fields`), then against the others (`checks`):
//! duplicate ids, managers that do not exist, manager loops. A bad record is quarantined with its
//! file, line and reason; the others go on. Only a file that cannot be read at all is an error.
//!
//! Files: `csv_reader` (CSV) and `json_reader` (a JSON array, or JSON lines) turn a file into
//! records; `fields` parses one record into a [`Worker`]; `checks` judges the records together.

mod checks;
mod csv_reader;
mod fields;
mod json_reader;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::worker::{SourceRef, Worker};

pub use csv_reader::read_csv;
pub use fields::KNOWN_COLUMNS;
pub use json_reader::read_json;
pub(crate) use json_reader::record as json_record;

/// A worker and the place it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedWorker {
    /// The normalised record.
    pub worker: Worker,
    /// File and line.
    pub source: SourceRef,
}

/// A record that was set aside, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    /// The record's employee id, when it had a usable one.
    pub employee_id: Option<String>,
    /// File and line, as `file:line`.
    #[serde(
        serialize_with = "serialize_source",
        deserialize_with = "deserialize_source"
    )]
    pub source: SourceRef,
    /// What is wrong, in words an HR or IT person can act on.
    pub reason: String,
}

fn serialize_source<S: serde::Serializer>(source: &SourceRef, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(source)
}

fn deserialize_source<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SourceRef, D::Error> {
    let text = String::deserialize(d)?;
    let (file, line) = text
        .rsplit_once(':')
        .and_then(|(file, line)| Some((file, line.parse().ok()?)))
        .ok_or_else(|| {
            serde::de::Error::custom(format!("source {text:?} is not of the form file:line"))
        })?;
    Ok(SourceRef {
        file: file.into(),
        line,
    })
}

/// What a reader made of an HR file: the good workers and the quarantined records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HrBatch {
    /// Records that passed every check, in file order.
    pub workers: Vec<SourcedWorker>,
    /// Records set aside.
    pub quarantined: Vec<Quarantined>,
}

/// A file that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HrError {
    /// The file could not be opened or read.
    #[error("cannot read HR file {file}: {source}")]
    Io {
        /// The path.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file's kind could not be told from its name.
    #[error("cannot tell the format of HR file {file}: name it .csv, .json, .jsonl or .ndjson")]
    UnknownFormat {
        /// The path.
        file: String,
    },
    /// The CSV header row is missing or lacks a required column.
    #[error("HR file {file}: {message}")]
    Header {
        /// The path.
        file: String,
        /// What is wrong with the header.
        message: String,
    },
    /// The JSON document as a whole is not an array of records (or one record per line).
    #[error("HR file {file}: {message}")]
    Json {
        /// The path.
        file: String,
        /// What is wrong, with the line and column.
        message: String,
    },
}

/// Reads an HR file, choosing the reader by its extension (`.csv`, `.json`, `.jsonl`, `.ndjson`).
pub fn read_file(path: &Path) -> Result<HrBatch, HrError> {
    let file: Arc<str> = path.display().to_string().into();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = std::fs::read(path).map_err(|source| HrError::Io {
        file: file.to_string(),
        source,
    })?;
    match extension.as_deref() {
        Some("csv") => read_csv(&bytes[..], file),
        Some("json" | "jsonl" | "ndjson") => read_json(&bytes, file),
        _ => Err(HrError::UnknownFormat {
            file: file.to_string(),
        }),
    }
}

/// Runs the checks across records and splits the candidates into workers and quarantine.
fn finish(candidates: Vec<SourcedWorker>, quarantined: Vec<Quarantined>) -> HrBatch {
    checks::cross_check(candidates, quarantined)
}
