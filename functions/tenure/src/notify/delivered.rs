//! Which workers' first-day access was delivered, for which start: one small record per worker
//! (`<folder>/first-day/<sha256 of the employee id>.json`, the start dates delivered), read
//! before a plan so a start never gets two passes, and written once the mail is accepted. A
//! rehire has a new start date, so gets a new pass. The record holds dates only, never a pass.

use std::collections::HashSet;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::apply::{ApplyReport, Outcome};
use crate::hr::SourcedWorker;
use crate::plan::{Op, Plan};
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore};
use crate::today::Today;

/// Days after a start in which access may still be due (an account made or switched on late).
const WINDOW_DAYS: i32 = 31;

/// The starts whose first-day access was delivered: (employee id, start date).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered(HashSet<(String, Date)>);

impl Delivered {
    /// Whether this worker's access for this start went out.
    pub fn contains(&self, employee_id: &str, start: Date) -> bool {
        self.0.contains(&(employee_id.to_owned(), start))
    }

    /// Notes a delivery.
    pub fn insert(&mut self, employee_id: &str, start: Date) {
        self.0.insert((employee_id.to_owned(), start));
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    /// The start dates delivered, oldest first.
    delivered: Vec<Date>,
}

/// The record's key under `folder` (such as `connections/<id>`; hashed: an employee id may
/// hold any character, a key may not).
pub fn delivered_key(folder: &ObjectKey, employee_id: &str) -> ObjectKey {
    let digest = hex::encode(Sha256::digest(employee_id.as_bytes()));
    // A valid key, a fixed segment and a hex digest always make a valid key.
    ObjectKey::parse(&format!("{folder}/first-day/{digest}.json"))
        .unwrap_or_else(|_| folder.clone())
}

/// Reads the records of these workers.
pub async fn read_delivered(
    objects: &dyn ObjectStore,
    folder: &ObjectKey,
    employee_ids: &[&str],
) -> Result<Delivered, ObjectError> {
    let mut delivered = Delivered::default();
    for id in employee_ids {
        let key = delivered_key(folder, id);
        if let Some((bytes, _)) = objects.get(&key).await? {
            // An unreadable record counts as none: at worst a second pass, never none.
            let record: Record = serde_json::from_slice(&bytes).unwrap_or_default();
            for date in record.delivered {
                delivered.insert(id, date);
            }
        }
    }
    Ok(delivered)
}

/// Records that a worker's access for `start` was delivered (compare-and-swap, retried on a
/// concurrent writer).
pub async fn record_delivered(
    objects: &dyn ObjectStore,
    folder: &ObjectKey,
    employee_id: &str,
    start: Date,
) -> Result<(), ObjectError> {
    let key = delivered_key(folder, employee_id);
    for _ in 0..5 {
        let (mut record, condition) = match objects.get(&key).await? {
            Some((bytes, version)) => (
                serde_json::from_slice::<Record>(&bytes).unwrap_or_default(),
                Condition::Matches(version),
            ),
            None => (Record::default(), Condition::Absent),
        };
        if record.delivered.contains(&start) {
            return Ok(());
        }
        record.delivered.push(start);
        record.delivered.sort();
        let bytes = serde_json::to_vec(&record)
            .map_err(|error| ObjectError::unavailable("write", &key, error.to_string()))?;
        match objects.put(&key, bytes, condition).await {
            Ok(_) => return Ok(()),
            Err(ObjectError::Conflict { .. }) => continue,
            Err(error) => return Err(error),
        }
    }
    Err(ObjectError::unavailable(
        "write",
        &key,
        "too many concurrent writers",
    ))
}

/// The workers whose start is recent enough for first-day access to be due (the only ones
/// whose records need reading).
pub fn recent_starters(workers: &[SourcedWorker], today: Today) -> Vec<&str> {
    workers
        .iter()
        .filter(|s| {
            let today = today.in_zone(s.worker.time_zone.as_ref());
            s.worker
                .hire_date
                .is_some_and(|start| start <= today && (today - start).get_days() <= WINDOW_DAYS)
        })
        .map(|s| s.worker.employee_id.as_str())
        .collect()
}

/// The starts whose first-day access an apply delivered: (employee id, start date).
pub fn delivered_in(plan: &Plan, applied: &ApplyReport) -> Vec<(String, Date)> {
    applied
        .outcomes
        .iter()
        .filter(|o| o.kind == "deliver_first_day_access" && o.outcome == Outcome::Applied)
        .filter_map(|o| {
            let start = plan
                .workers
                .iter()
                .filter(|w| w.employee_id == o.employee_id)
                .flat_map(|w| &w.actions)
                .find_map(|a| match &a.op {
                    Op::DeliverFirstDayAccess { start_date, .. } => Some(*start_date),
                    _ => None,
                })?;
            Some((o.employee_id.clone(), start))
        })
        .collect()
}
