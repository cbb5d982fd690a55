//! The JSON reader: an array of worker objects, or one object per line (JSON lines).

use std::sync::Arc;

use serde_json::Value;

use super::{HrBatch, HrError, Quarantined, SourcedWorker, fields, finish};
use crate::interned;
use crate::worker::SourceRef;

/// Reads workers from a JSON array of objects, or from JSON lines. Keys are the CSV column names;
/// values are strings, numbers or null. For an array, the "line" is the record's position (from 1).
pub fn read_json(bytes: &[u8], file: Arc<str>) -> Result<HrBatch, HrError> {
    // The values workers share are kept once each (see `interned`).
    interned::sharing(|| read_records(bytes, file))
}

fn read_records(bytes: &[u8], file: Arc<str>) -> Result<HrBatch, HrError> {
    let text = std::str::from_utf8(bytes).map_err(|e| HrError::Json {
        file: file.to_string(),
        message: format!("the file is not UTF-8 text: {e}"),
    })?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let mut candidates = Vec::new();
    let mut quarantined = Vec::new();
    let mut take = |value: Result<Value, String>, line: u64| {
        let source = SourceRef {
            file: file.clone(),
            line,
        };
        match value
            .map_err(|reason| (None, reason))
            .and_then(|v| record(&v))
        {
            Ok(worker) => candidates.push(SourcedWorker { worker, source }),
            Err((employee_id, reason)) => quarantined.push(Quarantined {
                employee_id,
                source,
                reason,
            }),
        }
    };
    if trimmed.starts_with('[') {
        let values: Vec<Value> = serde_json::from_str(trimmed).map_err(|e| HrError::Json {
            file: file.to_string(),
            message: format!("not a JSON array of records: {e}"),
        })?;
        for (i, value) in values.into_iter().enumerate() {
            take(Ok(value), i as u64 + 1);
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            let line_no = i as u64 + 1;
            let line = line.trim_start_matches('\u{feff}').trim();
            if line.is_empty() {
                continue;
            }
            let value = serde_json::from_str::<Value>(line)
                .map_err(|e| format!("the line is not a JSON object: {e}"));
            take(value, line_no);
        }
    }
    Ok(finish(candidates, quarantined))
}

/// One JSON worker object to a worker; on failure the employee id, if readable, and the reason.
/// Webhook payloads call this too, so a record means the same wherever it arrives.
pub(crate) fn record(value: &Value) -> Result<crate::worker::Worker, (Option<String>, String)> {
    let Value::Object(map) = value else {
        return Err((
            None,
            format!("expected a JSON object, found {}", kind(value)),
        ));
    };
    let mut pairs: Vec<(&str, String)> = Vec::with_capacity(map.len());
    for (key, value) in map {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => {
                let id = map
                    .get("employee_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                return Err((
                    id,
                    format!(
                        "field {key:?} holds {}, expected text or a number",
                        kind(other)
                    ),
                ));
            }
        };
        pairs.push((key.as_str(), text));
    }
    fields::to_worker(pairs.iter().map(|(k, v)| (*k, v.as_str())))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
