//! What a provision run leaves in the object store: the directory cache, the audit trail of
//! what it applied, and the record of a plan the guard refused.

use serde::Serialize;

use crate::directory::Snapshot;
use crate::microsoft::{CachedDirectory, DeltaState};
use crate::plan::Plan;
use crate::store::Version;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore};

/// `connections/<id>/directory-cache.json`: the directory and delta links of the last run.
pub fn directory_cache_key(connection: &ConnectionId) -> Result<ObjectKey, ObjectError> {
    key(format!("connections/{connection}/directory-cache.json"))
}

/// `connections/<id>/refused/<delivery>.json`: a plan the guard refused.
pub fn refused_key(connection: &ConnectionId, delivery: &str) -> Result<ObjectKey, ObjectError> {
    key(format!(
        "connections/{connection}/refused/{}.json",
        segment(delivery)
    ))
}

/// `audit/<connection>/<yyyy-mm-dd>/<delivery>-<attempt>.<sequence>.jsonl`: one group of a run's
/// audit records (the day in UTC), written while the run applies.
pub fn audit_group_key(
    connection: &ConnectionId,
    day: jiff::civil::Date,
    delivery: &str,
    attempt: &str,
    sequence: usize,
) -> Result<ObjectKey, ObjectError> {
    key(format!(
        "audit/{connection}/{day}/{}-{}.{sequence}.jsonl",
        segment(delivery),
        segment(attempt)
    ))
}

/// `connections/<id>/in-flight/`: the intents of runs that have not ended.
pub fn in_flight_prefix(connection: &ConnectionId) -> String {
    format!("connections/{connection}/in-flight/")
}

/// `connections/<id>/in-flight/<attempt>.json`: a run's intent, until its records are written.
pub fn in_flight_key(connection: &ConnectionId, attempt: &str) -> Result<ObjectKey, ObjectError> {
    key(format!(
        "{}{}.json",
        in_flight_prefix(connection),
        segment(attempt)
    ))
}

fn key(text: String) -> Result<ObjectKey, ObjectError> {
    ObjectKey::parse(&text).map_err(|e| ObjectError::Unavailable {
        operation: "write",
        target: format!("object {text:?}"),
        message: e.to_string(),
    })
}

/// A delivery id as one key segment: characters keys do not take become `_`.
fn segment(delivery: &str) -> String {
    let cleaned: String = delivery
        .chars()
        .take(128)
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '_',
        })
        .collect();
    match cleaned.trim_start_matches('.') {
        "" => "delivery".to_owned(),
        rest => rest.to_owned(),
    }
}

/// The directory cache object as stored, if there is one that can be read (a failure is
/// logged: the run then reads the whole tenant).
pub(crate) async fn read_cache(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
) -> Option<(Vec<u8>, Version)> {
    let key = directory_cache_key(connection).ok()?;
    match objects.get(&key).await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%connection, %error, "cannot read the directory cache; reading the whole tenant");
            None
        }
    }
}

/// The cached directory, when the stored one is for this Graph base URL and whole, and the
/// version read (to replace it by compare-and-swap).
pub(crate) fn decode_cache(
    stored: Option<(Vec<u8>, Version)>,
    connection: &ConnectionId,
    graph: &str,
) -> (Option<CachedDirectory>, Option<Version>) {
    let Some((bytes, version)) = stored else {
        return (None, None);
    };
    match CachedDirectory::decode(&bytes, graph) {
        Ok(cached) => (cached, Some(version)),
        Err(error) => {
            tracing::warn!(%connection, %error, "ignoring a damaged directory cache; reading the whole tenant");
            (None, Some(version))
        }
    }
}

/// Keeps the directory for the next run, unless another run replaced the cache since this one
/// read it (that run's cache is as good: the cache is only an optimisation, so nothing is
/// retried and no failure stops the run).
pub(crate) async fn save_cache(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    graph: &str,
    directory: &Snapshot,
    delta: &DeltaState,
    read_at: Option<Version>,
) {
    let Ok(key) = directory_cache_key(connection) else {
        return;
    };
    let bytes = match CachedDirectory::encode(directory, delta, graph) {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::warn!(%connection, %error, "cannot encode the directory cache");
            return;
        }
    };
    let condition = read_at.map_or(Condition::Absent, Condition::Matches);
    match objects.put(&key, bytes, condition).await {
        Ok(_) => {}
        Err(ObjectError::Conflict { .. } | ObjectError::NotFound { .. }) => {
            tracing::debug!(%connection, "another run replaced the directory cache first; keeping its cache");
        }
        Err(error) => {
            tracing::warn!(%connection, %error, "cannot keep the directory cache; the next run reads the whole tenant");
        }
    }
}

#[derive(Serialize)]
struct Refusal<'a> {
    connection: &'a ConnectionId,
    deliveries: &'a [String],
    at: String,
    /// Why the guard refused.
    guard: Option<&'a crate::plan::GuardVerdict>,
    /// The plan as a person reads it.
    plan: String,
}

/// Records a plan the guard refused, for a person to look at.
pub(crate) async fn write_refusal(
    objects: &dyn ObjectStore,
    connection: &ConnectionId,
    deliveries: &[String],
    plan: &Plan,
) -> Result<ObjectKey, ObjectError> {
    let first = deliveries.first().map_or("delivery", String::as_str);
    let key = refused_key(connection, first)?;
    let refusal = Refusal {
        connection,
        deliveries,
        at: jiff::Timestamp::now().to_string(),
        guard: plan.guard.as_ref(),
        plan: crate::report::plan_text(plan),
    };
    let bytes = serde_json::to_vec_pretty(&refusal).map_err(|e| ObjectError::Unavailable {
        operation: "write",
        target: format!("object {key}"),
        message: e.to_string(),
    })?;
    objects.put(&key, bytes, Condition::Always).await?;
    Ok(key)
}
