//! What happened on a connection, for a person to read: the changes provisioning applied (the
//! audit trail, `audit/<id>/<day>/<delivery>-<uuid>.jsonl`), what was done through the admin
//! routes (`audit/<id>/<day>/access-<uuid>.jsonl`, [`crate::service::access_audit`]), and the
//! work given up on (the dead letters of [`crate::queue::DeadLetters`]: objects under
//! `dead-letters/` for `tenure serve`, the SQS dead-letter queue on AWS; each can be queued
//! again, [`retry_dead_letter`]), and the last runs
//! with what each applied and what needed an admin ([`runs`], from the run records of
//! [`crate::service::provision::recent_runs`]).

use jiff::civil::Date;

use crate::apply::AuditRecord;
use crate::queue::{DeadLetter, DeadLetters, KeptDeadLetter, QueueError, WorkItem, WorkQueue};
use crate::service::access_audit::AccessRecord;
use crate::service::overview::{is_run, read_records};
use crate::service::provision::{RunRecord, recent_runs};
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

/// How many kept letters are read to find a connection's.
const MAX_LETTERS_READ: usize = 1000;

/// The dead letters of `connection`: those whose body is a work item of the connection, as
/// [`DeadLetters::list`] gives them (newest first as objects; the oldest of each message group
/// on an SQS FIFO queue). A letter whose body is not a work item names no connection and is
/// left out.
pub async fn dead_letters(
    letters: &dyn DeadLetters,
    connection: &ConnectionId,
) -> Result<Vec<KeptDeadLetter>, QueueError> {
    Ok(letters
        .list(MAX_LETTERS_READ)
        .await?
        .into_iter()
        .filter(|kept| is_of(&kept.letter, connection))
        .take(MAX_ENTRIES)
        .collect())
}

fn is_of(letter: &DeadLetter, connection: &ConnectionId) -> bool {
    serde_json::from_str::<WorkItem>(&letter.body)
        .is_ok_and(|item| &item.connection_id == connection)
}

/// Why a dead letter could not be queued again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RetryError {
    /// No dead letter of the connection is kept under that id (never was, another
    /// connection's, or already retried).
    #[error(
        "no dead letter of connection {connection} is kept as {id}: it was retried already, or never was one"
    )]
    NotFound {
        /// The connection.
        connection: ConnectionId,
        /// What the request named.
        id: String,
    },
    /// The dead letters or the work queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Queues the work of the dead letter `id` of `connection` again, as it was first queued, and
/// removes the letter: the work is then done (or comes back as a new letter with its reason).
/// The letter is removed only once the work is queued, so a failure loses nothing (at worst
/// the work is queued twice, which applying makes harmless).
pub async fn retry_dead_letter(
    letters: &dyn DeadLetters,
    queue: &dyn WorkQueue,
    connection: &ConnectionId,
    id: &str,
) -> Result<WorkItem, RetryError> {
    let not_found = || RetryError::NotFound {
        connection: connection.clone(),
        id: id.to_owned(),
    };
    let kept = dead_letters(letters, connection)
        .await?
        .into_iter()
        .find(|kept| kept.id == id)
        .ok_or_else(not_found)?;
    let item: WorkItem = serde_json::from_str(&kept.letter.body).map_err(|_| not_found())?;
    queue.send(vec![item.clone()]).await?;
    if !letters.remove(id).await? {
        tracing::warn!(%connection, %id, "a retried dead letter was gone before it was removed");
    }
    Ok(item)
}

/// A run of the connection: its record and how many changes it applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// What the run records say (when, messages, what needed an admin).
    pub record: RunRecord,
    /// How many changes the audit trail holds for its delivery.
    pub changes: usize,
}

/// How many runs [`runs`] gives.
pub const MAX_RUNS: usize = 20;

/// The connection's last runs, newest first, with the changes each applied.
pub async fn runs(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
) -> Result<Vec<RunSummary>, ObjectError> {
    let records = recent_runs(objects, connection, MAX_RUNS).await?;
    let prefix = format!("audit/{connection}/");
    let audit = objects.list(&prefix).await?;
    let mut summaries = Vec::with_capacity(records.len());
    for record in records {
        let delivery = record
            .run
            .split_once(" (approval ")
            .map_or(record.run.as_str(), |(delivery, _)| delivery);
        let mut changes = 0;
        for key in audit
            .iter()
            .filter(|k| is_run(k, &prefix) && delivery_of(k) == delivery)
        {
            if let Some((bytes, _)) = objects.get(key).await? {
                changes += read_records(&bytes).len();
            }
        }
        summaries.push(RunSummary { record, changes });
    }
    Ok(summaries)
}

/// `<delivery>` of `audit/<id>/<day>/<delivery>-<uuid>.jsonl`.
fn delivery_of(key: &ObjectKey) -> String {
    let file = key.as_str().rsplit('/').next().unwrap_or_default();
    let stem = file.strip_suffix(".jsonl").unwrap_or(file);
    stem.rsplit_once('-')
        .map_or(stem, |(delivery, _)| delivery)
        .to_owned()
}
