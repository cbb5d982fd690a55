//! One message's work: a connection and the worker records to provision.

use serde::{Deserialize, Serialize};

use super::QueueError;
use crate::hr::SourcedWorker;
use crate::store::connections::ConnectionId;
use crate::worker::Worker;

/// The version of the message format written by this code.
pub const WORK_ITEM_VERSION: u32 = 1;

/// The largest message body written, in bytes: below SQS's 256 KiB limit with room to spare.
pub const MAX_MESSAGE_BYTES: usize = 200 * 1024;

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
}

/// A worker and its source (`webhook:<index>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuedWorker {
    /// `file:line`, such as `webhook:3`.
    pub source: String,
    /// The record.
    pub worker: Worker,
}

impl WorkItem {
    /// The items for `workers`, split so each message stays below [`MAX_MESSAGE_BYTES`].
    pub fn split(
        connection_id: &ConnectionId,
        delivery_id: &str,
        workers: Vec<SourcedWorker>,
    ) -> Result<Vec<WorkItem>, QueueError> {
        let empty = || WorkItem {
            version: WORK_ITEM_VERSION,
            connection_id: connection_id.clone(),
            delivery_id: delivery_id.to_owned(),
            workers: Vec::new(),
        };
        let envelope = empty().to_json()?.len();
        let mut items = Vec::new();
        let mut current = empty();
        let mut size = envelope;
        for sourced in workers {
            let worker = QueuedWorker {
                source: sourced.source.to_string(),
                worker: sourced.worker,
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
            if size + worker_size > MAX_MESSAGE_BYTES {
                items.push(std::mem::replace(&mut current, empty()));
                size = envelope;
            }
            size += worker_size;
            current.workers.push(worker);
        }
        if !current.workers.is_empty() || items.is_empty() {
            items.push(current);
        }
        Ok(items)
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
