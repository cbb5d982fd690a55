//! Each worker's last known HR record, so that a partial webhook record (a `terminate` event,
//! which carries only what the leaving changes) does not clear everything it leaves out.
//!
//! Every worker a webhook delivers is remembered, after filling, at
//! `connections/<id>/hr/known/<sha256 of the employee id>.json`. A partial record is filled
//! from that, else from the worker's row in the stored HR export; a worker known from neither
//! is taken as sent (and logged), as there is nothing else to go by.

use futures::{StreamExt as _, TryStreamExt as _};
use rustc_hash::FxHashMap as HashMap;
use sha2::{Digest as _, Sha256};

use super::ProvisionError;
use crate::queue::WorkItem;
use crate::service::Services;
use crate::service::schedule::read_export;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey};
use crate::worker::Worker;

/// Records read or written at once.
const IN_FLIGHT: usize = 8;

/// `connections/<id>/hr/known/<sha256 hex of the employee id>.json` (hashed: an employee id may
/// hold any character, a key may not).
pub fn known_record_key(connection: &ConnectionId, employee_id: &str) -> ObjectKey {
    let digest = hex::encode(Sha256::digest(employee_id.as_bytes()));
    ObjectKey::join(&["connections", connection.as_str(), "hr", "known", &digest])
        .and_then(|k| ObjectKey::parse(&format!("{k}.json")))
        .unwrap_or_else(|_| unreachable_key())
}

/// A connection id and a hex digest always make a valid key; this is never reached.
fn unreachable_key() -> ObjectKey {
    ObjectKey::parse("connections/invalid/hr/known/invalid.json")
        .unwrap_or_else(|_| unreachable!("a constant key is valid"))
}

/// Fills every partial record of `items` from the worker's last known record, then remembers
/// every webhook-delivered worker as it now stands.
pub(super) async fn fill_and_remember(
    services: &Services,
    connection: &ConnectionId,
    items: &mut [WorkItem],
) -> Result<(), ProvisionError> {
    let store = |source: ObjectError| ProvisionError::Store {
        connection: connection.clone(),
        source,
    };
    fill(services, connection, items).await.map_err(store)?;
    remember(services, connection, items).await.map_err(store)
}

/// Fills every partial record of `items` from the worker's last known record (else its row in
/// the HR export), and brings a continuation's records that came from a webhook or from the
/// known records up to date with the last known record; writes nothing.
///
/// Why the latter: a continuation goes to the end of its lane, behind messages queued after the
/// one it continues, and that message's run remembered its records before applying; a known
/// record different now was remembered by a later message's run, so it is the newer.
pub(crate) async fn fill(
    services: &Services,
    connection: &ConnectionId,
    items: &mut [WorkItem],
) -> Result<(), ObjectError> {
    refresh_continued(services, connection, items).await?;
    let partial: Vec<String> = items
        .iter()
        .flat_map(|i| &i.workers)
        .filter(|w| w.partial)
        .map(|w| w.worker.employee_id.as_str().to_owned())
        .collect();
    if !partial.is_empty() {
        let mut known = read_known(services, connection, &partial).await?;
        let missing: Vec<&String> = partial
            .iter()
            .filter(|id| !known.contains_key(*id))
            .collect();
        if !missing.is_empty() {
            known.extend(from_export(services, connection, &missing).await);
        }
        for queued in items.iter_mut().flat_map(|i| i.workers.iter_mut()) {
            if !queued.partial {
                continue;
            }
            match known.get(queued.worker.employee_id.as_str()) {
                Some(record) => queued.worker.fill_from(record),
                None => tracing::warn!(
                    %connection,
                    employee_id = %queued.worker.employee_id,
                    "a partial record (terminate event) of a worker with no known record and no \
                     row in the HR export: taken as sent, so what it leaves out is cleared"
                ),
            }
            queued.partial = false;
        }
    }
    Ok(())
}

/// Whether a worker's record came from what is remembered: a webhook, or a known record (the
/// scheduled reconcile of a connection without an HR export names the record's key).
fn remembered_source(source: &str) -> bool {
    source.starts_with("webhook") || source.starts_with("connections/")
}

/// A continuation's remembered records ([`remembered_source`]) replaced by the worker's last
/// known record, when there is one.
async fn refresh_continued(
    services: &Services,
    connection: &ConnectionId,
    items: &mut [WorkItem],
) -> Result<(), ObjectError> {
    let continued: Vec<String> = items
        .iter()
        .filter(|i| i.continues.is_some())
        .flat_map(|i| &i.workers)
        .filter(|w| !w.partial && remembered_source(&w.source))
        .map(|w| w.worker.employee_id.as_str().to_owned())
        .collect();
    if continued.is_empty() {
        return Ok(());
    }
    let known = read_known(services, connection, &continued).await?;
    for item in items.iter_mut().filter(|i| i.continues.is_some()) {
        for queued in item.workers.iter_mut() {
            if queued.partial || !remembered_source(&queued.source) {
                continue;
            }
            if let Some(record) = known.get(queued.worker.employee_id.as_str()) {
                queued.worker = record.clone();
            }
        }
    }
    Ok(())
}

/// Remembers every webhook-delivered worker of `items` as it now stands.
async fn remember(
    services: &Services,
    connection: &ConnectionId,
    items: &[WorkItem],
) -> Result<(), ObjectError> {
    // Owned values in the stream: borrowed ones make the future's `Send` unprovable.
    let delivered: Vec<(ObjectKey, Vec<u8>)> = items
        .iter()
        .flat_map(|i| &i.workers)
        .filter(|w| w.source.starts_with("webhook"))
        .map(|w| {
            let key = known_record_key(connection, w.worker.employee_id.as_str());
            (key, serde_json::to_vec(&w.worker).unwrap_or_default())
        })
        .collect();
    let objects = std::sync::Arc::clone(&services.objects);
    futures::stream::iter(delivered)
        .map(move |(key, bytes)| {
            let objects = std::sync::Arc::clone(&objects);
            async move { objects.put(&key, bytes, Condition::Always).await }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// The known records of these employees (those that have one).
async fn read_known(
    services: &Services,
    connection: &ConnectionId,
    employee_ids: &[String],
) -> Result<HashMap<String, Worker>, ObjectError> {
    let objects = std::sync::Arc::clone(&services.objects);
    let wanted: Vec<(String, ObjectKey)> = employee_ids
        .iter()
        .map(|id| (id.clone(), known_record_key(connection, id)))
        .collect();
    let found: Vec<Option<(String, Worker)>> = futures::stream::iter(wanted)
        .map(move |(id, key)| {
            let objects = std::sync::Arc::clone(&objects);
            async move {
                let Some((bytes, _)) = objects.get(&key).await? else {
                    return Ok::<_, ObjectError>(None);
                };
                match serde_json::from_slice::<Worker>(&bytes) {
                    Ok(worker) => Ok(Some((id, worker))),
                    Err(e) => {
                        tracing::warn!(key = %key, "unreadable known record, ignored: {e}");
                        Ok(None)
                    }
                }
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// These employees' rows in the connection's stored HR export, when it has one.
async fn from_export(
    services: &Services,
    connection: &ConnectionId,
    employee_ids: &[&String],
) -> HashMap<String, Worker> {
    match read_export(services, connection).await {
        Ok((_, batch)) => batch
            .workers
            .into_iter()
            .filter(|s| {
                employee_ids
                    .iter()
                    .any(|id| *id == s.worker.employee_id.as_str())
            })
            .map(|s| (s.worker.employee_id.as_str().to_owned(), s.worker))
            .collect(),
        Err(error) => {
            tracing::debug!(%connection, "no HR export to fill partial records from: {error}");
            HashMap::default()
        }
    }
}

/// Every worker the connection's webhooks ever delivered, as last known: what a connection
/// without an HR export is reconciled from each day, so that dates (a start, a pre-hire window
/// opening, a last day, a leave's end) are acted on on their day. Unreadable records are
/// skipped and logged. The source of each is its record's key.
pub(crate) async fn read_all(
    services: &Services,
    connection: &ConnectionId,
) -> Result<Vec<crate::hr::SourcedWorker>, ObjectError> {
    let prefix = format!("connections/{connection}/hr/known/");
    let keys = services.objects.list(&prefix).await?;
    let objects = std::sync::Arc::clone(&services.objects);
    let found: Vec<Option<crate::hr::SourcedWorker>> = futures::stream::iter(keys)
        .map(move |key| {
            let objects = std::sync::Arc::clone(&objects);
            async move {
                let Some((bytes, _)) = objects.get(&key).await? else {
                    return Ok::<_, ObjectError>(None);
                };
                match serde_json::from_slice::<Worker>(&bytes) {
                    Ok(worker) => Ok(Some(crate::hr::SourcedWorker {
                        worker,
                        source: crate::worker::SourceRef {
                            file: key.as_str().into(),
                            line: 1,
                        },
                    })),
                    Err(e) => {
                        tracing::warn!(key = %key, "unreadable known record, skipped: {e}");
                        Ok(None)
                    }
                }
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    let mut workers: Vec<_> = found.into_iter().flatten().collect();
    workers.sort_by(|a, b| a.worker.employee_id.cmp(&b.worker.employee_id));
    Ok(workers)
}

/// Removes the last known records of workers terminated more than `retention_days` before
/// `now` (their termination date; judged in UTC, as a day either way does not matter here),
/// and gives the others. A worker terminated without a date is kept: nothing says since when.
/// A record that cannot be removed is logged and left for the next day.
pub(crate) async fn prune_terminated(
    services: &Services,
    workers: Vec<crate::hr::SourcedWorker>,
    retention_days: u32,
    now: jiff::Timestamp,
) -> Vec<crate::hr::SourcedWorker> {
    let today = jiff::tz::TimeZone::UTC.to_datetime(now).date();
    let mut kept = Vec::with_capacity(workers.len());
    for sourced in workers {
        let worker = &sourced.worker;
        let expired = worker.employment_status == crate::worker::EmploymentStatus::Terminated
            && worker.termination_date.is_some_and(|last| {
                last.checked_add(jiff::Span::new().days(i64::from(retention_days)))
                    .is_ok_and(|until| today > until)
            });
        if !expired {
            kept.push(sourced);
            continue;
        }
        let key = ObjectKey::parse(&sourced.source.file);
        match key {
            Ok(key) => match services.objects.delete(&key).await {
                Ok(()) => {
                    tracing::info!(%key, retention_days, "a leaver's last known record is removed")
                }
                Err(error) => {
                    tracing::warn!(%key, %error, "cannot remove a leaver's last known record")
                }
            },
            Err(error) => tracing::warn!(%error, "a known record's key cannot be read back"),
        }
    }
    kept
}
