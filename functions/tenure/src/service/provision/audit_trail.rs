//! A provision run's audit trail, durable while the run goes, so that a run killed at any
//! moment (its Lambda timeout, a crash) loses no record of a change that reached the tenant.
//!
//! Before its first change a run keeps its **intent**: every action of its plan, as the audit
//! record it would write (`connections/<id>/in-flight/<attempt>.json`, with the run's messages).
//! While it applies, the records of applied changes are written as they come, in groups at
//! most [`GROUP_WINDOW`] apart (`audit/<id>/<day>/<delivery>-<attempt>.<n>.jsonl`). Once every
//! record is written, the intent is removed. A later run that carries one of the same messages
//! (the retry of a killed run), or any run once an intent is a day old (its messages went to
//! the dead-letter queue), **recovers** it before applying: each intended action that has no
//! record of that attempt and that this run's plan no longer makes (so it is done) gets one
//! marked `interrupted` (Microsoft's request id is unknown), and the intent is removed. An
//! action still planned was not done: this run records it when it applies it.

use std::collections::HashSet;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedReceiver;

use super::records::{audit_group_key, in_flight_key, in_flight_prefix};
use crate::apply::AuditRecord;
use crate::plan::Plan;
use crate::queue::{MessagePart, WorkItem};
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore};

/// The longest a record of an applied change waits before it is written.
pub const GROUP_WINDOW: Duration = Duration::from_secs(1);

/// The most records one group object holds.
const GROUP_MAX: usize = 500;

/// An intent older than this is recovered by any run of its connection: its messages are not
/// coming back (SQS keeps a message's retries well within it).
const ABANDONED_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// One of a run's messages, as an intent names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Message {
    delivery: String,
    part: Option<MessagePart>,
}

impl Message {
    fn of(item: &WorkItem) -> Self {
        Self {
            delivery: item.delivery_id.clone(),
            part: item.part,
        }
    }
}

/// What a run is about to change.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Intent {
    attempt: String,
    started: Timestamp,
    delivery: String,
    messages: Vec<Message>,
    actions: Vec<AuditRecord>,
}

/// A run's audit trail while it applies.
#[derive(Debug)]
pub(super) struct Trail {
    connection: ConnectionId,
    attempt: String,
    delivery: String,
    intent: ObjectKey,
}

impl Trail {
    /// Keeps the intent of `plan` before any of it is applied.
    pub(super) async fn begin(
        objects: &dyn ObjectStore,
        connection: &ConnectionId,
        items: &[WorkItem],
        delivery: &str,
        plan: &Plan,
        now: Timestamp,
    ) -> Result<Self, ObjectError> {
        let attempt = uuid::Uuid::new_v4().simple().to_string();
        let at = now.to_string();
        let actions = plan
            .workers
            .iter()
            .flat_map(|worker| {
                let at = &at;
                worker
                    .actions
                    .iter()
                    .map(move |action| AuditRecord::of(worker, None, action, at, None))
            })
            .collect();
        let intent = Intent {
            attempt: attempt.clone(),
            started: now,
            delivery: delivery.to_owned(),
            messages: items.iter().map(Message::of).collect(),
            actions,
        };
        let key = in_flight_key(connection, &attempt)?;
        objects
            .put(&key, to_json(&intent, &key)?, Condition::Absent)
            .await?;
        Ok(Self {
            connection: connection.clone(),
            attempt,
            delivery: delivery.to_owned(),
            intent: key,
        })
    }

    /// Writes the records `applied` sends, in groups at most [`GROUP_WINDOW`] apart, until it
    /// closes. Returns the objects written; a group that could not be written is tried again
    /// with the next, and an error is returned only if it never was (the intent then stays,
    /// and the run's retry recovers it).
    pub(super) async fn write(
        &self,
        objects: &dyn ObjectStore,
        mut applied: UnboundedReceiver<AuditRecord>,
    ) -> Result<Vec<ObjectKey>, ObjectError> {
        let mut written = Vec::new();
        let mut waiting: Vec<AuditRecord> = Vec::new();
        let mut failed = None;
        while let Some(first) = applied.recv().await {
            waiting.push(first);
            let deadline = tokio::time::Instant::now() + GROUP_WINDOW;
            while waiting.len() < GROUP_MAX {
                match tokio::time::timeout_at(deadline, applied.recv()).await {
                    Ok(Some(record)) => waiting.push(record),
                    Ok(None) | Err(_) => break,
                }
            }
            match self.write_group(objects, &waiting, written.len()).await {
                Ok(key) => {
                    written.push(key);
                    waiting.clear();
                    failed = None;
                }
                Err(error) => {
                    tracing::warn!(connection = %self.connection, %error, records = waiting.len(), "audit group not written yet; trying again with the next");
                    failed = Some(error);
                }
            }
        }
        if !waiting.is_empty() {
            match self.write_group(objects, &waiting, written.len()).await {
                Ok(key) => written.push(key),
                Err(error) => return Err(failed.unwrap_or(error)),
            }
        }
        Ok(written)
    }

    async fn write_group(
        &self,
        objects: &dyn ObjectStore,
        records: &[AuditRecord],
        sequence: usize,
    ) -> Result<ObjectKey, ObjectError> {
        let key = audit_group_key(
            &self.connection,
            utc_day(Timestamp::now()),
            &self.delivery,
            &self.attempt,
            sequence,
        )?;
        objects
            .put(&key, to_lines(records, &key)?, Condition::Absent)
            .await?;
        Ok(key)
    }

    /// Removes the intent: every record of the run is written.
    pub(super) async fn end(self, objects: &dyn ObjectStore) -> Result<(), ObjectError> {
        objects.delete(&self.intent).await
    }
}

/// Recovers the intents of attempts that never ended: those sharing a message with `items`
/// (their retry is this run), and any a day old. `plan` is this run's: an intended action it
/// still makes was not applied, and is recorded when this run applies it. Returns how many
/// records were written.
pub(super) async fn recover(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    items: &[WorkItem],
    plan: &Plan,
    now: Timestamp,
) -> Result<usize, ObjectError> {
    let still_planned: HashSet<Identity> = plan
        .workers
        .iter()
        .flat_map(|worker| {
            worker
                .actions
                .iter()
                .map(move |action| identity(&AuditRecord::of(worker, None, action, "", None)))
        })
        .collect();
    let ours: Vec<Message> = items.iter().map(Message::of).collect();
    let mut recovered = 0;
    for key in objects.list(&in_flight_prefix(connection)).await? {
        let Some((bytes, _)) = objects.get(&key).await? else {
            continue;
        };
        let Ok(intent) = serde_json::from_slice::<Intent>(&bytes) else {
            tracing::warn!(%connection, key = %key, "an unreadable intent is left as it is");
            continue;
        };
        let retried = intent.messages.iter().any(|m| ours.contains(m));
        let abandoned = now.duration_since(intent.started) > ABANDONED_AFTER;
        if !(retried || abandoned) {
            continue;
        }
        recovered += recover_one(objects, connection, &intent, &still_planned, now).await?;
        objects.delete(&key).await?;
    }
    Ok(recovered)
}

/// Writes an `interrupted` record for every intended action the attempt left no record of and
/// that is not still to be done.
async fn recover_one(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    intent: &Intent,
    still_planned: &HashSet<Identity>,
    now: Timestamp,
) -> Result<usize, ObjectError> {
    let mut written = attempt_records(objects, connection, intent).await?;
    written.extend(still_planned.iter().cloned());
    let at = now.to_string();
    let missing: Vec<AuditRecord> = intent
        .actions
        .iter()
        .filter(|action| !written.contains(&identity(action)))
        .map(|action| AuditRecord {
            at: at.clone(),
            interrupted: true,
            ..action.clone()
        })
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let key = audit_group_key(
        connection,
        utc_day(now),
        &intent.delivery,
        &intent.attempt,
        usize::MAX,
    )?;
    objects
        .put(&key, to_lines(&missing, &key)?, Condition::Always)
        .await?;
    tracing::warn!(%connection, attempt = %intent.attempt, records = missing.len(), "recovered the audit records of an interrupted run");
    Ok(missing.len())
}

/// What tells records of one change apart: the worker, the kind, and the state after.
type Identity = (String, String, String);

fn identity(record: &AuditRecord) -> Identity {
    (
        record.employee_id.clone(),
        record.action.clone(),
        record.after.to_string(),
    )
}

/// The records an attempt wrote, from the days it can have written on.
async fn attempt_records(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    intent: &Intent,
) -> Result<HashSet<Identity>, ObjectError> {
    let marker = format!("-{}.", intent.attempt);
    let mut found = HashSet::new();
    let first = utc_day(intent.started);
    for day in [first, first.tomorrow().unwrap_or(first)] {
        for key in objects.list(&format!("audit/{connection}/{day}/")).await? {
            if !key.as_str().contains(&marker) {
                continue;
            }
            let Some((bytes, _)) = objects.get(&key).await? else {
                continue;
            };
            for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                if let Ok(record) = serde_json::from_slice::<AuditRecord>(line) {
                    found.insert(identity(&record));
                }
            }
        }
    }
    Ok(found)
}

fn utc_day(at: Timestamp) -> jiff::civil::Date {
    jiff::tz::Offset::UTC.to_datetime(at).date()
}

fn to_json(intent: &Intent, key: &ObjectKey) -> Result<Vec<u8>, ObjectError> {
    serde_json::to_vec(intent).map_err(|e| unwritable(key, &e))
}

fn to_lines(records: &[AuditRecord], key: &ObjectKey) -> Result<Vec<u8>, ObjectError> {
    let mut bytes = Vec::new();
    for record in records {
        serde_json::to_writer(&mut bytes, record).map_err(|e| unwritable(key, &e))?;
        bytes.push(b'\n');
    }
    Ok(bytes)
}

fn unwritable(key: &ObjectKey, error: &serde_json::Error) -> ObjectError {
    ObjectError::Unavailable {
        operation: "write",
        target: format!("object {key}"),
        message: error.to_string(),
    }
}
