//! The deployment-wide schedule: `{"connections": "all"}` reconciles every connection that has
//! an HR export.

use serde::Serialize;

use super::{ScheduleError, Scheduled, schedule};
use crate::service::Services;
use crate::store::connections::ConnectionId;

/// What one run of the deployment-wide schedule did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledAll {
    /// The connections whose work was queued.
    pub scheduled: Vec<Scheduled>,
    /// The connections passed over, and why (no HR export yet).
    pub skipped: Vec<Skipped>,
    /// The connections whose sync could not be queued, and why (they are retried next time).
    pub failed: Vec<Skipped>,
}

/// A connection not scheduled, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The connection.
    pub connection: ConnectionId,
    /// Why, in words.
    pub reason: String,
}

/// Whether `event` is the deployment-wide schedule's input, `{"connections": "all"}`.
pub fn is_all(event: &serde_json::Value) -> bool {
    event.as_object().is_some_and(|o| {
        o.len() == 1 && o.get("connections").and_then(|v| v.as_str()) == Some("all")
    })
}

/// Schedules every connection in turn; one connection's failure does not stop the others.
/// Fails only when the connections cannot be listed.
pub async fn schedule_all(services: &Services) -> Result<ScheduledAll, ScheduleError> {
    let mut all = ScheduledAll {
        scheduled: Vec::new(),
        skipped: Vec::new(),
        failed: Vec::new(),
    };
    for connection in services.connections.list().await? {
        let event = serde_json::json!({ "connection_id": connection.as_str() });
        match schedule(services, event).await {
            Ok(scheduled) => all.scheduled.push(scheduled),
            Err(error @ ScheduleError::NoExport { .. }) => all.skipped.push(Skipped {
                connection,
                reason: error.to_string(),
            }),
            Err(error) => {
                tracing::error!(%connection, "scheduled sync failed: {error}");
                all.failed.push(Skipped {
                    connection,
                    reason: error.to_string(),
                });
            }
        }
    }
    Ok(all)
}

/// The `scheduled-sync` function's handler: the deployment-wide schedule
/// (`{"connections": "all"}`) or one connection's ([`schedule`]); the answer as JSON.
pub async fn handle_event(
    services: &Services,
    event: serde_json::Value,
) -> Result<serde_json::Value, ScheduleError> {
    let answer = if is_all(&event) {
        serde_json::to_value(schedule_all(services).await?)
    } else {
        serde_json::to_value(schedule(services, event).await?)
    };
    answer.map_err(|e| ScheduleError::BadEvent(format!("the answer cannot be written: {e}")))
}
