//! One admins' digest per run, however many messages (and provision invocations) the run was
//! split over.
//!
//! A run (a delivery, or the release of an approval: [`run_of`]) is queued as numbered messages
//! ([`MessagePart`]). Each invocation records, per message it settled, that message's share of
//! the digest at `connections/<id>/runs/<run>/part-<index>.json` (written again when the message
//! is retried, so a retry never adds a line twice). The invocation that finds every part of a
//! run recorded claims its digest with a create-only write of `…/runs/<run>/digest.json`: only
//! the one whose write succeeds sends it, so a run gets one digest even when its last two
//! messages finish at once, and none more when a message comes back after the digest went out.
//! A run queued as one message (or all of whose messages arrive in one invocation) completes at
//! once. A message a run did not finish before its deadline is not settled: its share is kept
//! as `…/continued-<index>-<step>.json` and merged into the digest, and the continuation that
//! finishes it records the part. The run folders are removed after [`RUN_RECORDS_DAYS`] by the scheduled sync
//! ([`prune_runs`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::notify::{Digest, DigestItem};
use crate::queue::{MessagePart, WorkItem};
use crate::service::Services;
use crate::store::connections::{ConnectionId, ConnectionStatus};
use crate::store::objects::{Condition, ObjectError, ObjectKey};

/// Days a run's records are kept after its digest went out (or after its last part was
/// recorded): long enough for any retry of its messages to come back.
pub const RUN_RECORDS_DAYS: i64 = 14;

/// One message's share of its run's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PartRecord {
    /// The run (delivery id, and the approval released).
    run: String,
    /// Which message of the run.
    index: u32,
    /// How many messages the run has.
    count: u32,
    /// When it was recorded.
    at: jiff::Timestamp,
    /// What needs an admin.
    items: Vec<DigestItem>,
}

/// The claim of a run's digest: whoever wrote it sent it.
#[derive(Debug, Serialize, Deserialize)]
struct Claim {
    run: String,
    at: jiff::Timestamp,
}

/// The run a work item belongs to: its delivery, or the release of an approval of it.
pub(crate) fn run_of(item: &WorkItem) -> String {
    match &item.approval {
        Some(approval) => format!("{} (approval {approval})", item.delivery_id),
        None => item.delivery_id.clone(),
    }
}

/// A work item without its workers: what a share of the digest needs of its message.
fn header_of(item: &WorkItem) -> WorkItem {
    WorkItem {
        version: item.version,
        connection_id: item.connection_id.clone(),
        delivery_id: item.delivery_id.clone(),
        workers: Vec::new(),
        approval: item.approval.clone(),
        part: item.part,
        continues: item.continues.clone(),
    }
}

/// The part of its run a work item is (a message without a number is a run of its own).
fn part_of(item: &WorkItem) -> MessagePart {
    item.part.unwrap_or(MessagePart { index: 0, count: 1 })
}

/// The digest of one invocation split over its messages: a line about a worker goes with the
/// message that carried the worker (the last one, as a later record wins), a line about no one
/// worker with every message (the parts are merged line by line, so it is listed once).
pub(crate) fn split_over(items: &[WorkItem], digest: &Digest) -> Vec<(WorkItem, Vec<DigestItem>)> {
    let mut shares: Vec<(WorkItem, Vec<DigestItem>)> = items
        .iter()
        .map(|item| (header_of(item), Vec::new()))
        .collect();
    for line in &digest.items {
        let carrier = line.employee_id.as_deref().and_then(|id| {
            items.iter().rposition(|item| {
                item.workers
                    .iter()
                    .any(|w| w.worker.employee_id.as_str() == id)
            })
        });
        match carrier {
            Some(at) => shares[at].1.push(line.clone()),
            None if line.employee_id.is_some() && !shares.is_empty() => {
                shares[0].1.push(line.clone());
            }
            None => {
                for share in &mut shares {
                    share.1.push(line.clone());
                }
            }
        }
    }
    shares
}

/// Each message's share: the one line `line` gives it (a dead letter or a retry is about the
/// message itself).
pub(crate) fn each_with(
    items: &[WorkItem],
    line: impl Fn(&WorkItem) -> DigestItem,
) -> Vec<(WorkItem, Vec<DigestItem>)> {
    items
        .iter()
        .map(|item| (header_of(item), vec![line(item)]))
        .collect()
}

/// Records each message's share and gives the digests of the runs this completed and claimed
/// (usually none or one). A share that cannot be recorded is logged: the worst it costs is a
/// digest that waits for that message's retry, or a missing line. A message `continued` marks
/// (by position; unmarked when absent) is not settled: its work goes on in a continuation,
/// whose own share settles the part, so its share is kept apart (`continued-<part>-<step>.json`,
/// written again by a retry of the same message) and only merged into the digest.
pub(crate) async fn record(
    services: &Services,
    connection: &ConnectionId,
    shares: Vec<(WorkItem, Vec<DigestItem>)>,
    continued: &[bool],
) -> Vec<Digest> {
    let now = services.clock.now();
    let mut runs: Vec<(String, u32)> = Vec::new();
    for (at, (item, items)) in shares.into_iter().enumerate() {
        let run = run_of(&item);
        let part = part_of(&item);
        let record = PartRecord {
            run: run.clone(),
            index: part.index,
            count: part.count,
            at: now,
            items,
        };
        let goes_on = continued.get(at).copied().unwrap_or(false);
        let step = item.continues.as_ref().map_or(0, |c| c.step);
        if let Err(error) = write_part(services, connection, &record, goes_on.then_some(step)).await
        {
            tracing::warn!(%connection, %run, part = part.index, %error, "cannot record a message's share of the digest");
            continue;
        }
        if goes_on {
            continue;
        }
        if !runs.iter().any(|(r, _)| *r == run) {
            runs.push((run, part.count));
        }
    }
    let mut digests = Vec::new();
    for (run, count) in runs {
        match complete(services, connection, &run, count).await {
            Ok(Some(digest)) => digests.push(digest),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%connection, %run, %error, "cannot complete the run's digest");
            }
        }
    }
    digests
}

/// A "needs re-link" line when the connection's stored status says it must be linked again.
pub(crate) async fn relink_line(services: &Services, connection: &ConnectionId) -> Option<String> {
    match services.connections.get(connection).await {
        Ok(Some((stored, _))) => match stored.status {
            ConnectionStatus::NeedsRelink { reason } => Some(format!(
                "{reason} (an administrator links the connection again: console, the connection's Link account; until then nothing is provisioned)"
            )),
            _ => None,
        },
        _ => None,
    }
}

/// "Held for approval" lines for the connection's pending approvals that no digest has named
/// yet: a webhook delivery or a scheduled export the guard held as a whole was never queued, so
/// only a later run's digest can tell the admins. Each is named once (a create-only marker under
/// `connections/<id>/runs/announced-<approval>/`, removed with the run records after
/// [`RUN_RECORDS_DAYS`], so one still pending then is named again as a reminder); an approval a
/// line of `digest` names already is only marked.
pub(crate) async fn waiting_approvals(
    services: &Services,
    connection: &ConnectionId,
    digest: &Digest,
) -> Vec<String> {
    let approvals = match crate::service::guard::list(services.objects.as_ref(), connection).await {
        Ok(approvals) => approvals,
        Err(error) => {
            tracing::warn!(%connection, %error, "cannot list the approvals for the digest");
            return Vec::new();
        }
    };
    let mut lines = Vec::new();
    for approval in approvals
        .iter()
        .filter(|a| a.status == crate::service::guard::ApprovalStatus::Pending)
    {
        let Ok(marker) = key(&format!(
            "connections/{connection}/runs/announced-{}/digest.json",
            hex::encode(&Sha256::digest(approval.id.as_bytes())[..16])
        )) else {
            continue;
        };
        let claim = Claim {
            run: format!("approval {}", approval.id),
            at: services.clock.now(),
        };
        let Ok(bytes) = serde_json::to_vec(&claim) else {
            continue;
        };
        match services
            .objects
            .put(&marker, bytes, Condition::Absent)
            .await
        {
            Ok(_) => {}
            Err(ObjectError::Conflict { .. }) => continue,
            Err(error) => {
                tracing::warn!(%connection, %error, "cannot mark an approval as named in a digest");
                continue;
            }
        }
        if digest.items.iter().any(|i| i.line.contains(&approval.id)) {
            continue;
        }
        let origin = match approval.origin {
            crate::service::guard::Origin::Webhook => "a webhook delivery",
            crate::service::guard::Origin::Schedule => "a scheduled export",
            crate::service::guard::Origin::Provision => "a provision run",
        };
        lines.push(format!(
            "{origin} held as a whole, nothing of it applied: {} (approval {}; approve it in the console's Approvals or with tenure approvals approve)",
            approval.reason, approval.id
        ));
    }
    lines
}

/// A run as its records show it, for the console's activity page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// The run: its delivery, and the approval it released.
    pub run: String,
    /// When its newest message was settled.
    pub at: jiff::Timestamp,
    /// How many of its messages are settled, of how many.
    pub settled: (usize, u32),
    /// Whether its digest went out (every message settled and the digest claimed).
    pub digest_sent: bool,
    /// What needed an admin, merged over its messages.
    pub items: Vec<DigestItem>,
}

/// The newest `limit` runs of a connection with records (kept [`RUN_RECORDS_DAYS`]), newest
/// first. A record that cannot be read is skipped (and logged).
pub async fn recent_runs(
    objects: &dyn crate::store::objects::ObjectStore,
    connection: &ConnectionId,
    limit: usize,
) -> Result<Vec<RunRecord>, ObjectError> {
    let prefix = format!("connections/{connection}/runs/");
    let keys = objects.list(&prefix).await?;
    // Per run folder: the settled parts, whether the digest went out, and the shares of
    // messages whose work went on (their lines count, not as settled messages).
    let mut runs: std::collections::BTreeMap<String, (Vec<PartRecord>, bool, Vec<PartRecord>)> =
        std::collections::BTreeMap::new();
    for key in &keys {
        let rest = &key.as_str()[prefix.len()..];
        let Some((run_folder, file)) = rest.split_once('/') else {
            continue;
        };
        if run_folder.starts_with("announced-") {
            continue;
        }
        let entry = runs.entry(run_folder.to_owned()).or_default();
        if file == "digest.json" {
            entry.1 = true;
            continue;
        }
        let Some((bytes, _)) = objects.get(key).await? else {
            continue;
        };
        match serde_json::from_slice::<PartRecord>(&bytes) {
            Ok(part) if file.starts_with("continued-") => entry.2.push(part),
            Ok(part) => entry.0.push(part),
            Err(error) => tracing::warn!(%key, %error, "a run record cannot be read"),
        }
    }
    let mut records: Vec<RunRecord> = runs
        .into_values()
        .filter_map(|(parts, digest_sent, going_on)| {
            let newest = parts.iter().chain(&going_on).max_by_key(|p| p.at)?;
            let (run, at, count) = (newest.run.clone(), newest.at, newest.count);
            let settled = parts.len();
            let items = Digest::merge(parts.into_iter().chain(going_on).map(|p| p.items)).items;
            Some(RunRecord {
                run,
                at,
                settled: (settled, count),
                digest_sent,
                items,
            })
        })
        .collect();
    records.sort_by_key(|r| std::cmp::Reverse(r.at));
    records.truncate(limit);
    Ok(records)
}

fn folder(connection: &ConnectionId, run: &str) -> String {
    let hash = hex::encode(&Sha256::digest(run.as_bytes())[..16]);
    format!("connections/{connection}/runs/{hash}")
}

fn key(text: &str) -> Result<ObjectKey, ObjectError> {
    ObjectKey::parse(text).map_err(|e| ObjectError::Unavailable {
        operation: "write",
        target: format!("object {text:?}"),
        message: e.to_string(),
    })
}

/// Writes a settled message's share (`part-<index>.json`), or the share of a message whose
/// work goes on (`continued-<index>-<step>.json`, `step` being that message's own).
async fn write_part(
    services: &Services,
    connection: &ConnectionId,
    record: &PartRecord,
    continued_at: Option<u32>,
) -> Result<(), ObjectError> {
    let folder = folder(connection, &record.run);
    let key = key(&match continued_at {
        None => format!("{folder}/part-{}.json", record.index),
        Some(step) => format!("{folder}/continued-{}-{step}.json", record.index),
    })?;
    let bytes = serde_json::to_vec(record).map_err(|e| ObjectError::Unavailable {
        operation: "write",
        target: format!("object {key}"),
        message: e.to_string(),
    })?;
    services.objects.put(&key, bytes, Condition::Always).await?;
    Ok(())
}

/// When every part of `run` is recorded and this caller wins the claim, the run's digest.
async fn complete(
    services: &Services,
    connection: &ConnectionId,
    run: &str,
    count: u32,
) -> Result<Option<Digest>, ObjectError> {
    let folder = folder(connection, run);
    let listed = services.objects.list(&format!("{folder}/part-")).await?;
    let mut parts: Vec<PartRecord> = Vec::new();
    for key in &listed {
        let Some((bytes, _)) = services.objects.get(key).await? else {
            continue;
        };
        match serde_json::from_slice::<PartRecord>(&bytes) {
            Ok(part) if part.run == run && part.index < count => parts.push(part),
            Ok(_) => {}
            Err(error) => tracing::warn!(%key, %error, "a digest part cannot be read; skipped"),
        }
    }
    let mut indexes: Vec<u32> = parts.iter().map(|p| p.index).collect();
    indexes.sort_unstable();
    indexes.dedup();
    if indexes.len() < count as usize {
        return Ok(None);
    }
    let claim = Claim {
        run: run.to_owned(),
        at: services.clock.now(),
    };
    let claim_key = key(&format!("{folder}/digest.json"))?;
    let bytes = serde_json::to_vec(&claim).map_err(|e| ObjectError::Unavailable {
        operation: "write",
        target: format!("object {claim_key}"),
        message: e.to_string(),
    })?;
    match services
        .objects
        .put(&claim_key, bytes, Condition::Absent)
        .await
    {
        Ok(_) => {}
        Err(ObjectError::Conflict { .. }) => return Ok(None),
        Err(error) => return Err(error),
    }
    // The shares of messages whose work went on in continuations: lines of the same run.
    for key in services
        .objects
        .list(&format!("{folder}/continued-"))
        .await?
    {
        let Some((bytes, _)) = services.objects.get(&key).await? else {
            continue;
        };
        match serde_json::from_slice::<PartRecord>(&bytes) {
            Ok(part) if part.run == run => parts.push(part),
            Ok(_) => {}
            Err(error) => tracing::warn!(%key, %error, "a digest share cannot be read; skipped"),
        }
    }
    Ok(Some(Digest::merge(parts.into_iter().map(|p| p.items))))
}

/// Removes the records of runs older than [`RUN_RECORDS_DAYS`] (by their claim, else their
/// newest part). Gives how many runs were removed; a failure is logged and left for next time.
pub async fn prune_runs(services: &Services, connection: &ConnectionId) -> usize {
    let prefix = format!("connections/{connection}/runs/");
    let Ok(listed) = services.objects.list(&prefix).await else {
        return 0;
    };
    let cutoff = services
        .clock
        .now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * RUN_RECORDS_DAYS))
        .unwrap_or(jiff::Timestamp::MIN);
    let mut folders: Vec<(String, Vec<&ObjectKey>)> = Vec::new();
    for key in &listed {
        let Some((run, _)) = key.as_str()[prefix.len()..].split_once('/') else {
            continue;
        };
        match folders.iter_mut().find(|(r, _)| r == run) {
            Some((_, keys)) => keys.push(key),
            None => folders.push((run.to_owned(), vec![key])),
        }
    }
    let mut removed = 0;
    for (_, keys) in folders {
        // The claim says when the digest went out; a run without one, when its parts came.
        let dated: Vec<&ObjectKey> =
            match keys.iter().find(|k| k.as_str().ends_with("/digest.json")) {
                Some(claim) => vec![*claim],
                None => keys.clone(),
            };
        let mut newest = jiff::Timestamp::MIN;
        for key in &dated {
            if let Ok(Some((bytes, _))) = services.objects.get(key).await {
                let at = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v.get("at").cloned())
                    .and_then(|v| serde_json::from_value::<jiff::Timestamp>(v).ok());
                newest = newest.max(at.unwrap_or(jiff::Timestamp::MAX));
            }
        }
        if newest >= cutoff {
            continue;
        }
        for key in keys {
            if let Err(error) = services.objects.delete(key).await {
                tracing::warn!(%key, %error, "cannot remove an old run record");
            }
        }
        removed += 1;
    }
    removed
}
