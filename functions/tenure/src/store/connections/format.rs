//! The stored form of a connection record: JSON with a `format` number, checked field by field
//! when read. Records are strict (unknown fields are refused), so a change to the record's
//! shape comes with a new format number.

use super::{Connection, ConnectionId};

/// The record format this version of Tenure writes. It reads this one and every earlier one
/// ([`READ_FORMATS`]).
pub const RECORD_FORMAT: u64 = 2;

/// The record formats this version of Tenure reads: 1 (before connections had a `name`) and 2.
pub const READ_FORMATS: [u64; 2] = [1, RECORD_FORMAT];

/// A stored record that cannot be used; names the connection and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("connection record {connection} is invalid at `{field}`: {reason}")]
pub struct InvalidRecord {
    /// The connection (as its key names it).
    pub connection: String,
    /// The field, as a path such as `status.reason`; `(record)` for the record as a whole.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

#[derive(serde::Serialize)]
struct Stored<'a> {
    format: u64,
    #[serde(flatten)]
    connection: &'a Connection,
}

/// The bytes to store (after the same checks a read makes).
pub(crate) fn encode(connection: &Connection) -> Result<Vec<u8>, InvalidRecord> {
    let invalid = |field: &str, reason: String| InvalidRecord {
        connection: connection.id.to_string(),
        field: field.to_owned(),
        reason,
    };
    connection
        .check()
        .map_err(|(field, reason)| invalid(field, reason))?;
    serde_json::to_vec_pretty(&Stored {
        format: RECORD_FORMAT,
        connection,
    })
    .map_err(|e| invalid("(record)", e.to_string()))
}

/// Reads the record stored under `id`.
pub(crate) fn decode(id: &ConnectionId, bytes: &[u8]) -> Result<Connection, InvalidRecord> {
    let invalid = |field: &str, reason: String| InvalidRecord {
        connection: id.to_string(),
        field: field.to_owned(),
        reason,
    };
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| invalid("(record)", format!("not valid JSON: {e}")))?;
    let Some(object) = value.as_object_mut() else {
        return Err(invalid("(record)", "not a JSON object".to_owned()));
    };
    match object.remove("format") {
        None => {
            return Err(invalid(
                "format",
                format!("missing (this Tenure reads formats 1 to {RECORD_FORMAT})"),
            ));
        }
        Some(format) if format.as_u64().is_some_and(|f| READ_FORMATS.contains(&f)) => {}
        Some(format) => {
            return Err(invalid(
                "format",
                format!(
                    "unknown record format {format} (this Tenure reads formats 1 to {RECORD_FORMAT}; \
                     was it written by a newer Tenure?)"
                ),
            ));
        }
    }
    let connection: Connection = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        invalid(&field_of(&path, &reason), reason)
    })?;
    if connection.id != *id {
        return Err(invalid(
            "id",
            format!("the record says {} but is stored as {id}", connection.id),
        ));
    }
    connection
        .check()
        .map_err(|(field, reason)| invalid(field, reason))?;
    Ok(connection)
}

/// The field an error is about: the path serde reached, plus, for a missing field (reported at
/// its parent), the field serde quotes in backticks.
fn field_of(path: &str, reason: &str) -> String {
    let missing = reason
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let parent = if path == "." { "" } else { path };
    match (missing, parent) {
        (Some(field), "") => field.to_owned(),
        (Some(field), parent) => format!("{parent}.{field}"),
        (None, "") => "(record)".to_owned(),
        (None, parent) => parent.to_owned(),
    }
}
