//! The two shapes a scheduled sync arrives in.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};

use super::ScheduleError;
use crate::store::connections::ConnectionId;

/// What EventBridge Scheduler sends for a connection (the schedule's input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledSync {
    /// The connection to reconcile.
    pub connection_id: String,
}

/// The connection a scheduled event names: the Scheduler's payload `{"connection_id": "…"}`, or
/// an EventBridge event (`detail-type`, `source`, …) whose `detail` is that payload.
pub(super) fn connection_of(event: serde_json::Value) -> Result<ConnectionId, ScheduleError> {
    let bad = |what: String| ScheduleError::BadEvent(what);
    let is_envelope = event.get("detail").is_some() || event.get("detail-type").is_some();
    let payload: ScheduledSync = if is_envelope {
        let envelope: EventBridgeEvent<ScheduledSync> =
            serde_json::from_value(event).map_err(|e| {
                bad(format!(
                    "an EventBridge event whose detail is not {{\"connection_id\": \"…\"}}: {e}"
                ))
            })?;
        envelope.detail
    } else {
        serde_json::from_value(event).map_err(|e| {
            bad(format!(
                "expected {{\"connection_id\": \"…\"}} or an EventBridge event with it as detail: {e}"
            ))
        })?
    };
    ConnectionId::parse(&payload.connection_id)
        .map_err(|e| bad(format!("connection_id {:?}: {e}", payload.connection_id)))
}
