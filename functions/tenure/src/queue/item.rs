//! One message's work: a connection and the worker records to provision.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::QueueError;
use crate::hr::SourcedWorker;
use crate::store::connections::ConnectionId;
use crate::worker::Worker;

/// The version of the message format written by this code.
pub const WORK_ITEM_VERSION: u32 = 1;

/// The largest message body written, in bytes: below SQS's 256 KiB limit with room to spare.
pub const MAX_MESSAGE_BYTES: usize = 200 * 1024;

/// How many lanes (SQS FIFO message groups) one connection's work is spread over, so at most
/// this many provision invocations run for one tenant at a time. Each invocation keeps at most
/// 8 Graph requests in flight (the clients' adaptive limit, which backs off on 429s), so a
/// tenant sees at most 32 concurrent requests from Tenure: below Graph's per-app-per-tenant
/// limits (identity writes are throttled near 3,000 requests / 150 s per app and tenant, and
/// Exchange allows few concurrent connections per account), while still four times faster than
/// one lane for large reconciles. A worker always falls in the same lane, so its events stay in
/// order.
pub const PER_TENANT_LANES: u32 = 4;

/// The lane of a worker: a stable hash (SHA-256, not the process-seeded std hasher) of its
/// employee id, modulo [`PER_TENANT_LANES`].
pub fn lane_of(employee_id: &str) -> u32 {
    lane_among(employee_id, PER_TENANT_LANES)
}

/// The lane of a worker among `lanes` (at least 1) by the hash [`lane_of`] uses: what the lanes
/// would be with another [`PER_TENANT_LANES`] (the fairness simulation weighs other counts).
pub fn lane_among(employee_id: &str, lanes: u32) -> u32 {
    let digest = Sha256::digest(employee_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // The remainder is below `lanes`, so it fits in a u32.
    (u64::from_be_bytes(first) % u64::from(lanes.max(1))) as u32
}

/// The work one message carries. Serialized as versioned JSON; a reader refuses versions it does
/// not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkItem {
    /// The format version, [`WORK_ITEM_VERSION`].
    pub version: u32,
    /// The connection the workers belong to.
    pub connection_id: ConnectionId,
    /// The delivery (or run) that produced the work, for logs and audit.
    pub delivery_id: String,
    /// The workers, with where each came from.
    pub workers: Vec<QueuedWorker>,
    /// The pending approval whose release this is (`connections/<id>/approvals/<approval>.json`):
    /// a person approved these workers' changes, so the guard and the budget let them pass once
    /// provisioning has checked that the approval exists and was approved. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    /// Which of its run's messages this is (a run: the delivery, or the release of an
    /// approval): the admins' digest of the run goes out once every part has been handled.
    /// Absent in a message written before parts were numbered: a run of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<MessagePart>,
    /// Present when this message is the unfinished remainder of another, queued by a provision
    /// run that stopped before its invocation's deadline: its deduplication id comes from
    /// this, so a retried invocation queues the same remainder once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<Continuation>,
}

/// Which message a continuation carries the rest of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Continuation {
    /// The SHA-256 (hex) of the body of the message first queued (the one a delivery, a
    /// schedule or an approval queued), the same for each of its continuations.
    pub origin: String,
    /// 1 for the first remainder of that message, 2 for the remainder of that one, and so on.
    pub step: u32,
}

/// Which of its run's messages a work item is: `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagePart {
    /// This message's place, from 0.
    pub index: u32,
    /// How many messages the run has.
    pub count: u32,
}

impl MessagePart {
    /// Numbers `items` as the parts of one run, in order.
    pub fn number(items: &mut [WorkItem]) {
        let count = u32::try_from(items.len()).unwrap_or(u32::MAX);
        for (index, item) in (0..count).zip(items.iter_mut()) {
            item.part = Some(MessagePart { index, count });
        }
    }
}

/// A worker and its source (`webhook:<index>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuedWorker {
    /// `file:line`, such as `webhook:3`.
    pub source: String,
    /// The record.
    pub worker: Worker,
    /// The record carries only what the HR system sent (a `terminate` event): provisioning
    /// fills the rest from the worker's last known record. Absent (false) in a full record.
    #[serde(default, skip_serializing_if = "is_false")]
    pub partial: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl WorkItem {
    /// A message without workers for `connection_id`: it brings a provision run, whose admins'
    /// digest names what waits for them (a change held as a whole queues nothing else), and
    /// changes nothing.
    pub fn notice(connection_id: &ConnectionId, delivery_id: &str) -> Self {
        WorkItem {
            version: WORK_ITEM_VERSION,
            connection_id: connection_id.clone(),
            delivery_id: delivery_id.to_owned(),
            workers: Vec::new(),
            approval: None,
            part: None,
            continues: None,
        }
    }

    /// The items for `workers`, one lane ([`lane_of`]) at a time, split so each message stays
    /// below [`MAX_MESSAGE_BYTES`]. Every item's workers share a lane, so its
    /// [`WorkItem::message_group`] keeps each worker's events in order.
    pub fn split(
        connection_id: &ConnectionId,
        delivery_id: &str,
        workers: Vec<SourcedWorker>,
    ) -> Result<Vec<WorkItem>, QueueError> {
        Self::split_at_most(connection_id, delivery_id, workers, usize::MAX)
    }

    /// As [`WorkItem::split`], with at most `max_workers` workers per item (a full reconcile
    /// fans out over many small messages).
    pub fn split_at_most(
        connection_id: &ConnectionId,
        delivery_id: &str,
        workers: Vec<SourcedWorker>,
        max_workers: usize,
    ) -> Result<Vec<WorkItem>, QueueError> {
        let max_workers = max_workers.max(1);
        let empty = || WorkItem {
            version: WORK_ITEM_VERSION,
            connection_id: connection_id.clone(),
            delivery_id: delivery_id.to_owned(),
            workers: Vec::new(),
            approval: None,
            part: None,
            continues: None,
        };
        let envelope = empty().to_json()?.len();
        let mut lanes: Vec<Vec<SourcedWorker>> =
            (0..PER_TENANT_LANES).map(|_| Vec::new()).collect();
        for sourced in workers {
            let lane = lane_of(sourced.worker.employee_id.as_str()) as usize;
            lanes[lane].push(sourced);
        }
        let mut items = Vec::new();
        for lane in lanes.into_iter().filter(|l| !l.is_empty()) {
            let mut current = empty();
            let mut size = envelope;
            for sourced in lane {
                let worker = QueuedWorker {
                    source: sourced.source.to_string(),
                    worker: sourced.worker,
                    partial: false,
                };
                let worker_size = serde_json::to_vec(&worker)
                    .map_err(|e| QueueError::Body(e.to_string()))?
                    .len()
                    + 1;
                if envelope + worker_size > MAX_MESSAGE_BYTES {
                    return Err(QueueError::TooLarge {
                        size: envelope + worker_size,
                        limit: MAX_MESSAGE_BYTES,
                    });
                }
                if size + worker_size > MAX_MESSAGE_BYTES || current.workers.len() >= max_workers {
                    items.push(std::mem::replace(&mut current, empty()));
                    size = envelope;
                }
                size += worker_size;
                current.workers.push(worker);
            }
            items.push(current);
        }
        if items.is_empty() {
            items.push(empty());
        }
        MessagePart::number(&mut items);
        Ok(items)
    }

    /// The lane of this item: that of its first worker (every worker of an item made by
    /// [`WorkItem::split`] shares it); lane 0 for an item without workers.
    pub fn lane(&self) -> u32 {
        self.workers
            .first()
            .map_or(0, |w| lane_of(w.worker.employee_id.as_str()))
    }

    /// The SQS FIFO message group, `<connection>/<lane>`: messages of one group are handed out
    /// one batch at a time and in order, so one connection has at most [`PER_TENANT_LANES`]
    /// provision invocations at once.
    pub fn message_group(&self) -> String {
        format!("{}/{}", self.connection_id, self.lane())
    }

    /// The FIFO deduplication id of this item sent as `body`: the SHA-256 of the body, so the
    /// same work queued twice within SQS's five minutes is queued once; for a continuation, the
    /// SHA-256 of its origin and step, so the remainder a retried invocation queues again (with
    /// perhaps fewer or more workers done) is dropped as the same message. Hex, 64 characters
    /// (SQS takes 128).
    pub fn deduplication_id(&self, body: &str) -> String {
        let digest = match &self.continues {
            Some(c) => Sha256::digest(format!("continuation\n{}\n{}", c.origin, c.step)),
            None => Sha256::digest(body.as_bytes()),
        };
        hex::encode(digest)
    }

    /// The message body.
    pub fn to_json(&self) -> Result<String, QueueError> {
        serde_json::to_string(self).map_err(|e| QueueError::Body(e.to_string()))
    }

    /// Reads a message body, refusing versions this code does not know.
    pub fn from_json(body: &str) -> Result<Self, QueueError> {
        let item: WorkItem =
            serde_json::from_str(body).map_err(|e| QueueError::Body(e.to_string()))?;
        if item.version != WORK_ITEM_VERSION {
            return Err(QueueError::Body(format!(
                "version {} is not {WORK_ITEM_VERSION}",
                item.version
            )));
        }
        Ok(item)
    }
}
