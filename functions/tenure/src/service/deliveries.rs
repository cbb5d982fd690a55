//! What HR delivered to a connection, for the console's HR page: each signed webhook delivery
//! and each export uploaded, with its outcome (queued, held for approval, stored, or refused and
//! why), kept as `connections/<id>/deliveries/<when>-<uuid>.json` for [`DELIVERY_RECORDS_DAYS`].
//!
//! Only what came from someone who holds the connection's webhook key or may manage the
//! connection is kept: a request refused for its signature, timestamp or as a replay is logged
//! and never written, so nobody without the key can fill the store.

use serde::{Deserialize, Serialize};

use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore};

/// Days a delivery's record is kept.
pub const DELIVERY_RECORDS_DAYS: i64 = 14;

/// Where a delivery came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliverySource {
    /// A signed webhook delivery.
    Webhook,
    /// An export uploaded by an administrator (console or HTTP API).
    Upload,
}

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum DeliveryOutcome {
    /// Its workers were queued.
    Queued {
        /// How many workers.
        workers: usize,
    },
    /// The guard held it as a whole for a person.
    Held {
        /// How many workers.
        workers: usize,
        /// The approval it waits for.
        approval: String,
    },
    /// The export was stored for the scheduled sync.
    Stored {
        /// How many workers it holds.
        workers: usize,
        /// How many records were set aside.
        set_aside: usize,
    },
    /// It was refused.
    Refused {
        /// The HTTP status it was answered with.
        status: u16,
        /// Why.
        reason: String,
    },
}

/// One delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// When it arrived.
    pub at: jiff::Timestamp,
    /// Its delivery id, once it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    /// Where it came from.
    pub source: DeliverySource,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: DeliveryOutcome,
}

fn prefix(connection: &ConnectionId) -> String {
    format!("connections/{connection}/deliveries/")
}

/// Keeps a delivery's record. A failure is logged, never the delivery's: the record is for
/// reading, the delivery's answer does not wait on it.
pub async fn record(objects: &dyn ObjectStore, connection: &ConnectionId, record: &DeliveryRecord) {
    let name = format!(
        "{}{}-{}.json",
        prefix(connection),
        record.at.strftime("%Y%m%dT%H%M%S%.6fZ"),
        uuid::Uuid::new_v4().simple()
    );
    let kept = match (ObjectKey::parse(&name), serde_json::to_vec(record)) {
        (Ok(key), Ok(bytes)) => objects
            .put(&key, bytes, Condition::Absent)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        (Err(e), _) => Err(e.to_string()),
        (_, Err(e)) => Err(e.to_string()),
    };
    if let Err(error) = kept {
        tracing::warn!(%connection, %error, "cannot keep the record of an HR delivery");
    }
}

/// The newest `limit` deliveries of a connection, newest first (a record that cannot be read
/// is skipped).
pub async fn recent(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    limit: usize,
) -> Result<Vec<DeliveryRecord>, ObjectError> {
    let mut records = Vec::new();
    for key in objects.list(&prefix(connection)).await?.iter().rev() {
        if records.len() == limit {
            break;
        }
        if let Some((bytes, _)) = objects.get(key).await? {
            match serde_json::from_slice::<DeliveryRecord>(&bytes) {
                Ok(record) => records.push(record),
                Err(error) => {
                    tracing::warn!(%key, %error, "an HR delivery's record cannot be read")
                }
            }
        }
    }
    Ok(records)
}

/// Removes the records older than [`DELIVERY_RECORDS_DAYS`] (their names start with when they
/// arrived); gives how many were removed.
pub async fn prune(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    now: jiff::Timestamp,
) -> usize {
    let prefix = prefix(connection);
    let Ok(listed) = objects.list(&prefix).await else {
        return 0;
    };
    let cutoff = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * DELIVERY_RECORDS_DAYS))
        .unwrap_or(jiff::Timestamp::MIN)
        .strftime("%Y%m%dT%H%M%S%.6fZ")
        .to_string();
    let mut removed = 0;
    for key in listed
        .iter()
        .filter(|k| k.as_str()[prefix.len()..] < *cutoff.as_str())
    {
        if objects.delete(key).await.is_ok() {
            removed += 1;
        }
    }
    removed
}
