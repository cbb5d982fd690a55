//! Connections at a glance, for an administrator: the connections a caller may manage
//! ([`manageable`], by the one access decision [`crate::auth::access`]) and, for each, what
//! the stores know of its last run and of what waits for a person ([`overview`]).
//!
//! The stores keep no run record of their own: the last run is the newest audit file of the
//! connection (`audit/<id>/<day>/<delivery>-<uuid>.jsonl`, written by provisioning when it
//! applied something), so a run that changed nothing leaves no trace here. The admin routes'
//! access records beside them (`access-<uuid>.jsonl`, [`crate::service::access_audit`]) are
//! not runs.

use crate::apply::AuditRecord;
use crate::auth::{Access, Identity, Operators, access};
use crate::service::guard::{ApprovalError, ApprovalStatus, list as list_approvals};
use crate::store::connections::{Connection, ConnectionError, ConnectionStore};
use crate::store::objects::{ObjectError, ObjectKey, ObjectStore};

/// The newest run of a connection that applied changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRun {
    /// When its last change was applied (RFC 3339, UTC).
    pub at: String,
    /// The delivery (webhook delivery, scheduled run, approval) whose work it was.
    pub delivery: String,
    /// How many changes it applied.
    pub changes: usize,
}

/// One connection as the console's list shows it.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The connection record.
    pub connection: Connection,
    /// Its newest run that applied changes, if any.
    pub last_run: Option<LastRun>,
    /// How many held changes wait for approval.
    pub pending_approvals: usize,
}

/// Why an overview could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OverviewError {
    /// The connection store failed.
    #[error(transparent)]
    Connections(#[from] ConnectionError),
    /// The object store failed.
    #[error(transparent)]
    Objects(#[from] ObjectError),
    /// The approvals could not be read.
    #[error(transparent)]
    Approvals(#[from] ApprovalError),
}

/// The connections `caller` may manage, sorted by id. A record that cannot be read is left out
/// (and logged): whose it is cannot be told.
pub async fn manageable(
    connections: &dyn ConnectionStore,
    caller: &Identity,
    operators: &Operators,
) -> Result<Vec<Connection>, ConnectionError> {
    let mut visible = Vec::new();
    for id in connections.list().await? {
        match connections.get(&id).await {
            Ok(Some((connection, _))) => {
                if access(caller, &connection, operators) == Access::Manage {
                    visible.push(connection);
                }
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(connection = %id, %error, "connection left out of the list")
            }
        }
    }
    Ok(visible)
}

/// The connection with its last run and its pending approvals.
pub async fn overview(
    objects: &dyn ObjectStore,
    connection: Connection,
) -> Result<Overview, OverviewError> {
    let last_run = last_run(objects, &connection).await?;
    let pending_approvals = list_approvals(objects, &connection.id)
        .await?
        .iter()
        .filter(|a| a.status == ApprovalStatus::Pending)
        .count();
    Ok(Overview {
        connection,
        last_run,
        pending_approvals,
    })
}

/// The newest audit file of the connection, read: the files of the newest day, the one whose
/// last record is newest.
pub async fn last_run(
    objects: &dyn ObjectStore,
    connection: &Connection,
) -> Result<Option<LastRun>, ObjectError> {
    let prefix = format!("audit/{}/", connection.id);
    let keys = objects.list(&prefix).await?;
    let runs: Vec<&ObjectKey> = keys.iter().filter(|k| is_run(k, &prefix)).collect();
    let Some(newest_day) = runs.iter().filter_map(|k| day_of(k, &prefix)).max() else {
        return Ok(None);
    };
    let mut newest: Option<LastRun> = None;
    for key in runs
        .iter()
        .filter(|k| day_of(k, &prefix) == Some(newest_day))
    {
        let Some((bytes, _)) = objects.get(key).await? else {
            continue;
        };
        let records = read_records(&bytes);
        let Some(at) = records.iter().map(|r| r.at.clone()).max() else {
            continue;
        };
        if newest.as_ref().is_none_or(|n| at > n.at) {
            newest = Some(LastRun {
                at,
                delivery: delivery_of(key, &prefix),
                changes: records.len(),
            });
        }
    }
    Ok(newest)
}

/// The JSON lines of an audit file that read as records (a torn line is skipped).
pub fn read_records(bytes: &[u8]) -> Vec<AuditRecord> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect()
}

/// Whether the key is a provisioning run's audit file, not the admin routes' access records.
pub fn is_run(key: &ObjectKey, prefix: &str) -> bool {
    key.as_str()
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, file)| !file.starts_with("access-") && file.ends_with(".jsonl"))
}

/// `<day>` of `audit/<id>/<day>/<file>`.
fn day_of<'k>(key: &'k ObjectKey, prefix: &str) -> Option<&'k str> {
    let (day, _) = key.as_str().strip_prefix(prefix)?.split_once('/')?;
    Some(day)
}

/// `<delivery>` of `audit/<id>/<day>/<delivery>-<uuid>.jsonl`.
fn delivery_of(key: &ObjectKey, prefix: &str) -> String {
    let file = key
        .as_str()
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_once('/'))
        .map_or("", |(_, file)| file);
    let stem = file.strip_suffix(".jsonl").unwrap_or(file);
    stem.rsplit_once('-')
        .map_or(stem, |(delivery, _)| delivery)
        .to_owned()
}
