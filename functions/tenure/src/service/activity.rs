//! What happened on a connection, for a person to read: the changes provisioning applied (the
//! audit trail, `audit/<id>/<day>/<delivery>-<uuid>.jsonl`), what was done through the admin
//! routes (`audit/<id>/<day>/access-<uuid>.jsonl`, [`crate::service::access_audit`]), and the
//! work given up on (dead letters kept as objects under `dead-letters/`, as `tenure serve`
//! keeps them; a deployment on AWS keeps them in its SQS dead-letter queue instead, which is not
//! read here).

use jiff::civil::Date;

use crate::apply::AuditRecord;
use crate::queue::{DeadLetter, WorkItem};
use crate::service::access_audit::AccessRecord;
use crate::service::overview::{is_run, read_records};
use crate::store::connections::ConnectionId;
use crate::store::objects::{ObjectError, ObjectKey, ObjectStore};

/// The most entries of each kind one read gives.
pub const MAX_ENTRIES: usize = 200;

/// Which part of the trail to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailFilter {
    /// Only this worker's changes (their employee id), when set.
    pub worker: Option<String>,
    /// Only this day (UTC), when set.
    pub day: Option<Date>,
    /// Only changes of this kind (`disable_user`, `add_group_member`, …), when set.
    pub kind: Option<String>,
}

/// One applied change and the run it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The delivery (webhook delivery, scheduled run, approval) whose work it was.
    pub delivery: String,
    /// The record.
    pub record: AuditRecord,
}

/// A connection's trail, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trail {
    /// The changes applied, at most [`MAX_ENTRIES`].
    pub changes: Vec<Change>,
    /// The requests made to the connection's admin routes, at most [`MAX_ENTRIES`] (not
    /// filtered by worker).
    pub access: Vec<AccessRecord>,
    /// How many changes matched beyond those given.
    pub more_changes: usize,
    /// The kinds of the changes of the worker and day filtered, whatever the kind filter: what
    /// there is to filter by.
    pub kinds: std::collections::BTreeSet<String>,
}

/// The trail of `connection` that `filter` selects.
pub async fn trail(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    filter: &TrailFilter,
) -> Result<Trail, ObjectError> {
    let prefix = format!("audit/{connection}/");
    let listed = match filter.day {
        Some(day) => objects.list(&format!("{prefix}{day}/")).await?,
        None => objects.list(&prefix).await?,
    };
    let mut trail = Trail::default();
    for key in &listed {
        let Some((bytes, _)) = objects.get(key).await? else {
            continue;
        };
        if is_run(key, &prefix) {
            let delivery = delivery_of(key);
            for record in read_records(&bytes)
                .into_iter()
                .filter(|r| filter.worker.as_ref().is_none_or(|w| &r.employee_id == w))
            {
                trail.kinds.insert(record.action.clone());
                if filter.kind.as_ref().is_none_or(|k| &record.action == k) {
                    trail.changes.push(Change {
                        delivery: delivery.clone(),
                        record,
                    });
                }
            }
        } else {
            trail.access.extend(
                bytes
                    .split(|b| *b == b'\n')
                    .filter(|line| !line.is_empty())
                    .filter_map(|line| serde_json::from_slice::<AccessRecord>(line).ok()),
            );
        }
    }
    trail.changes.sort_by(|a, b| b.record.at.cmp(&a.record.at));
    trail.access.sort_by_key(|a| std::cmp::Reverse(a.at));
    trail.more_changes = trail.changes.len().saturating_sub(MAX_ENTRIES);
    trail.changes.truncate(MAX_ENTRIES);
    trail.access.truncate(MAX_ENTRIES);
    Ok(trail)
}

/// The dead letters of `connection` kept as objects (`dead-letters/`), newest first: those
/// whose body is a work item of the connection. A letter whose body is not a work item names
/// no connection and is left out.
pub async fn dead_letters(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
) -> Result<Vec<DeadLetter>, ObjectError> {
    let mut letters = Vec::new();
    for key in objects.list("dead-letters/").await?.iter().rev() {
        let Some((bytes, _)) = objects.get(key).await? else {
            continue;
        };
        let Ok(letter) = serde_json::from_slice::<DeadLetter>(&bytes) else {
            continue;
        };
        let ours = serde_json::from_str::<WorkItem>(&letter.body)
            .is_ok_and(|item| &item.connection_id == connection);
        if ours {
            letters.push(letter);
            if letters.len() == MAX_ENTRIES {
                break;
            }
        }
    }
    Ok(letters)
}

/// `<delivery>` of `audit/<id>/<day>/<delivery>-<uuid>.jsonl`.
fn delivery_of(key: &ObjectKey) -> String {
    let file = key.as_str().rsplit('/').next().unwrap_or_default();
    let stem = file.strip_suffix(".jsonl").unwrap_or(file);
    stem.rsplit_once('-')
        .map_or(stem, |(delivery, _)| delivery)
        .to_owned()
}
