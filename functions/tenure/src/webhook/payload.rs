//! Webhook bodies to worker records: Tenure's generic events and BambooHR's employee payload.
//!
//! Each worker object goes through the same record parsing as an HR JSON file
//! ([`crate::hr::read_json`]), so a field means the same wherever it arrives. A delivery is all
//! or nothing: one bad record refuses the whole delivery (400, naming its JSON path), so the HR
//! system hears of it at once instead of the worker being quietly set aside. Cross-record checks
//! (managers that exist) are left to the provisioning run, which sees the whole company.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::WebhookError;
use super::signature::Scheme;
use crate::hr::{SourcedWorker, json_record};
use crate::worker::SourceRef;

/// The largest body accepted, in bytes (1 MiB); larger is refused with 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The payload formats, one per signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// `{"events":[{"type":"upsert"|"terminate","worker":{…HR record fields…}}]}`.
    Generic,
    /// `{"employees":[{"id":…,"fields":{…},"changedFields":[…],"timestamp":…}]}`.
    BambooHr,
}

impl From<Scheme> for PayloadFormat {
    fn from(scheme: Scheme) -> Self {
        match scheme {
            Scheme::Generic => Self::Generic,
            Scheme::BambooHr => Self::BambooHr,
        }
    }
}

/// The workers a delivery carries, in payload order, each with source `webhook:<index>`
/// (its position in the payload's array, from 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// The workers.
    pub workers: Vec<SourcedWorker>,
    /// For each worker, whether its record is partial: a `terminate` event carries only what
    /// changed, and provisioning fills the rest from the worker's last known record.
    pub partial: Vec<bool>,
}

/// BambooHR field names (their English defaults) and the Tenure HR fields they fill. Any other
/// field is passed on under its own name and becomes a custom attribute. `Status` is BambooHR's
/// `Active` / `Inactive`; `Employment Status` is the kind of employment (Full-Time, …).
pub const BAMBOOHR_FIELDS: [(&str, &str); 15] = [
    ("First Name", "first_name"),
    ("Last Name", "last_name"),
    ("Preferred Name", "preferred_name"),
    ("Middle Name", "middle_name"),
    ("Home Email", "personal_email"),
    ("Job Title", "job_title"),
    ("Department", "department"),
    ("Division", "division"),
    ("Location", "location"),
    ("Country", "country"),
    ("Supervisor EID", "manager_employee_id"),
    ("Status", "employment_status"),
    ("Employment Status", "employment_type"),
    ("Hire Date", "hire_date"),
    ("Termination Date", "termination_date"),
];

/// Turns one item of the payload's array (at a JSON path) into an HR JSON record, and says
/// whether that record is partial.
type RecordOf = fn(&Value, &str) -> Result<(Value, bool), WebhookError>;

/// Parses a body of `format`. The size limit is checked first.
pub fn parse(format: PayloadFormat, body: &[u8]) -> Result<Delivery, WebhookError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(WebhookError::TooLarge {
            size: body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::malformed("$", format!("not JSON: {e}")))?;
    let (list_key, record_of): (&str, RecordOf) = match format {
        PayloadFormat::Generic => ("events", generic_record),
        PayloadFormat::BambooHr => ("employees", bamboohr_record),
    };
    let items = value
        .as_object()
        .ok_or_else(|| WebhookError::malformed("$", "expected a JSON object"))?
        .get(list_key)
        .and_then(Value::as_array)
        .ok_or_else(|| WebhookError::malformed(format!("$.{list_key}"), "expected an array"))?;
    let file: Arc<str> = "webhook".into();
    let mut workers = Vec::with_capacity(items.len());
    let mut partial = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let path = format!("$.{list_key}[{index}]");
        let (record, is_partial) = record_of(item, &path)?;
        partial.push(is_partial);
        let worker = json_record(&record).map_err(|(_, reason)| {
            let at = match format {
                PayloadFormat::Generic => format!("{path}.worker"),
                PayloadFormat::BambooHr => format!("{path}.fields"),
            };
            WebhookError::malformed(at, reason)
        })?;
        workers.push(SourcedWorker {
            worker,
            source: SourceRef {
                file: file.clone(),
                line: index as u64,
            },
        });
    }
    Ok(Delivery { workers, partial })
}

/// A generic event's worker object. An `upsert` is the worker's whole record; a `terminate`
/// carries what the leaving changes (at least the termination date), is marked terminated when
/// it does not say, and is partial.
fn generic_record(event: &Value, path: &str) -> Result<(Value, bool), WebhookError> {
    let event = event
        .as_object()
        .ok_or_else(|| WebhookError::malformed(path, "expected an event object"))?;
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| WebhookError::malformed(format!("{path}.type"), "expected a string"))?;
    let mut worker = event
        .get("worker")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| {
            WebhookError::malformed(format!("{path}.worker"), "expected a worker object")
        })?;
    let partial = match kind {
        "upsert" => false,
        "terminate" => {
            worker
                .entry("employment_status")
                .or_insert_with(|| Value::String("terminated".into()));
            true
        }
        other => {
            return Err(WebhookError::malformed(
                format!("{path}.type"),
                format!("{other:?} is not one of upsert, terminate"),
            ));
        }
    };
    Ok((Value::Object(worker), partial))
}

/// A BambooHR employee as an HR record: its `id` is the employee id, its fields renamed by
/// [`BAMBOOHR_FIELDS`]. BambooHR sends every field the webhook is set up to monitor, so the
/// record is whole (set the webhook up with all the fields the mapping uses).
fn bamboohr_record(employee: &Value, path: &str) -> Result<(Value, bool), WebhookError> {
    let employee = employee
        .as_object()
        .ok_or_else(|| WebhookError::malformed(path, "expected an employee object"))?;
    let id = match employee.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(WebhookError::malformed(
                format!("{path}.id"),
                "the employee id is missing",
            ));
        }
    };
    let fields = match employee.get("fields") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(fields)) => fields.clone(),
        Some(_) => {
            return Err(WebhookError::malformed(
                format!("{path}.fields"),
                "expected an object",
            ));
        }
    };
    let mut record = Map::with_capacity(fields.len() + 1);
    for (name, value) in fields {
        let tenure = BAMBOOHR_FIELDS
            .iter()
            .find(|(bamboo, _)| bamboo.eq_ignore_ascii_case(&name))
            .map(|(_, tenure)| *tenure);
        let value = match (tenure, &value) {
            // BambooHR says Active / Inactive; Tenure says active / terminated.
            (Some("employment_status"), Value::String(s)) if s.eq_ignore_ascii_case("inactive") => {
                Value::String("terminated".into())
            }
            // BambooHR sends an unset date as 0000-00-00.
            (Some("hire_date" | "termination_date"), Value::String(s)) if s == "0000-00-00" => {
                Value::Null
            }
            _ => value,
        };
        record.insert(tenure.map_or(name, str::to_owned), value);
    }
    record.insert("employee_id".into(), Value::String(id));
    Ok((Value::Object(record), false))
}
