//! `scheduled-sync`: EventBridge Scheduler's event for a connection (or `{"connections": "all"}`,
//! the deployment-wide schedule: [`schedule_all`]) starts a full reconcile. The
//! connection's HR export (else, for a connection fed only by webhooks, every worker's last
//! known record, so dates are acted on on their day) is read from the object store and fanned out over the work queue, a
//! few hundred workers per message and each worker in its lane, so provisioning runs in at most
//! [`crate::queue::PER_TENANT_LANES`] parallel invocations per tenant.
//!
//! Files: `event` (the Scheduler's and EventBridge's event shapes) and `all` (every connection,
//! fanned out by lane).

mod all;
mod event;

use crate::guard::Effect;
use crate::hr::{HrBatch, HrError, read_csv, read_json};
use crate::queue::{MessagePart, QueueError, WorkItem};
use crate::service::Services;
use crate::service::guard::{ApprovalError, Hold, JudgeError, Judgment, Origin, judge_whole};
use crate::service::settings::{KNOWN_RETENTION_DAYS, MappingSettings};
use crate::store::connections::{ConnectionError, ConnectionId};
use crate::store::objects::{ObjectError, ObjectKey};

pub use all::{ScheduledAll, Skipped, handle_event, is_all, schedule_all};
pub use event::ScheduledSync;

/// The most workers one scheduled message carries: small enough that one provision run ends
/// well within the function's timeout, large enough that a 10,000-worker tenant is 20 messages.
pub const SCHEDULED_BATCH: usize = 500;

/// The HR export names looked for, in order, under `connections/<id>/hr/`.
pub const EXPORT_NAMES: [&str; 2] = ["workers.csv", "workers.json"];

/// What a scheduled sync queued (the function's answer, as JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Scheduled {
    /// The connection.
    pub connection: ConnectionId,
    /// The run's delivery id, `scheduled-<timestamp>`.
    pub delivery_id: String,
    /// The export read.
    pub export: ObjectKey,
    /// Workers queued.
    pub workers: usize,
    /// Records the HR checks set aside (logged; not queued).
    pub quarantined: usize,
    /// Messages sent (0 when the export was held).
    pub messages: usize,
    /// The pending approval holding the export when the guard refused it as a whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
}

/// An export held for approval instead of queued.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Held {
    /// The pending approval's id.
    pub approval_id: String,
    /// Why the guard held it.
    pub reason: String,
}

/// Why a scheduled sync queued nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The event is neither `{"connection_id": "…"}` nor an EventBridge event whose detail is.
    #[error("the scheduled event is not understood: {0}")]
    BadEvent(String),
    /// No connection has the id the event names.
    #[error(
        "the scheduled event names connection {0}, which does not exist: delete its schedule or create the connection"
    )]
    UnknownConnection(ConnectionId),
    /// The connection has no HR export, and no worker came through its webhook, to reconcile
    /// from.
    #[error("connection {connection} has no HR export and no worker from its webhook: upload an export as {} or {}, or send workers to its webhook", keys[0], keys[1])]
    NoExport {
        /// The connection.
        connection: ConnectionId,
        /// The keys looked at.
        keys: Vec<String>,
    },
    /// The export could not be read as HR records.
    #[error(transparent)]
    Export(#[from] HrError),
    /// The connection store failed.
    #[error(transparent)]
    Connections(#[from] ConnectionError),
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] ObjectError),
    /// The export could not be judged as a whole (nothing was queued).
    #[error("cannot judge the scheduled export as a whole: {0}")]
    Judge(#[from] JudgeError),
    /// The export was held but could not be kept for approval (nothing was queued).
    #[error("cannot keep the scheduled export for approval: {0}")]
    Approval(#[from] ApprovalError),
    /// The work could not be queued (some messages may have been: they are harmless, being
    /// convergent).
    #[error("cannot queue the scheduled sync: {0}")]
    Queue(#[from] QueueError),
}

/// Starts a full reconcile of the connection `event` names: reads its HR export
/// (`connections/<id>/hr/workers.csv`, else `workers.json`), judges it as a whole against the
/// cached directory ([`judge_whole`]) and queues its workers, at most [`SCHEDULED_BATCH`] per
/// message, each message within one lane, under the delivery id `scheduled-<timestamp>`; or,
/// when the guard refuses the whole, queues nothing and keeps it as a pending approval.
pub async fn schedule(
    services: &Services,
    event: serde_json::Value,
) -> Result<Scheduled, ScheduleError> {
    let connection = event::connection_of(event)?;
    if services.connections.get(&connection).await?.is_none() {
        return Err(ScheduleError::UnknownConnection(connection));
    }
    let (export, batch) = read_hr(services, &connection).await?;
    let delivery_id = format!(
        "scheduled-{}",
        services.clock.now().strftime("%Y%m%dT%H%M%S%.3fZ")
    );
    let HrBatch {
        workers,
        quarantined,
    } = batch;
    for q in &quarantined {
        tracing::warn!(%connection, source = %q.source, reason = %q.reason, "HR record quarantined");
    }
    let count = workers.len();
    let items = WorkItem::split_at_most(&connection, &delivery_id, workers, SCHEDULED_BATCH)?;
    let mut items: Vec<WorkItem> = items
        .into_iter()
        .filter(|i| !i.workers.is_empty())
        .collect();
    MessagePart::number(&mut items);
    let mut scheduled = Scheduled {
        connection,
        delivery_id,
        export,
        workers: count,
        quarantined: quarantined.len(),
        messages: 0,
        held: None,
    };
    if let Judgment::Hold { reason, effect } =
        judge_whole(services, &scheduled.connection, &items).await?
    {
        scheduled.held = Some(hold(services, &scheduled, reason, effect, items).await?);
        return Ok(scheduled);
    }
    scheduled.messages = items.len();
    if !items.is_empty() {
        services.queue.send(items).await?;
    }
    tracing::info!(connection = %scheduled.connection, delivery = %scheduled.delivery_id,
        workers = count, messages = scheduled.messages, "scheduled sync queued");
    crate::service::provision::prune_runs(services, &scheduled.connection).await;
    let now = services.clock.now();
    crate::service::deliveries::prune(services.objects.as_ref(), &scheduled.connection, now).await;
    Ok(scheduled)
}

/// Keeps a refused export as a pending approval.
async fn hold(
    services: &Services,
    scheduled: &Scheduled,
    reason: String,
    effect: Effect,
    items: Vec<WorkItem>,
) -> Result<Held, ApprovalError> {
    let hold = Hold {
        origin: Origin::Schedule,
        deliveries: vec![scheduled.delivery_id.clone()],
        reason,
        effect,
        items,
    };
    let approval = crate::service::guard::hold(services, &scheduled.connection, hold).await?;
    Ok(Held {
        approval_id: approval.id,
        reason: approval.reason,
    })
}

/// What a scheduled sync reconciles: the connection's HR export, else (a connection fed only by
/// webhooks) every worker's last known record, `connections/<id>/hr/known/`.
pub(crate) async fn read_hr(
    services: &Services,
    connection: &ConnectionId,
) -> Result<(ObjectKey, HrBatch), ScheduleError> {
    match read_export(services, connection).await {
        Err(ScheduleError::NoExport { connection, keys }) => {
            let workers = crate::service::provision::known::read_all(services, &connection).await?;
            let retention = MappingSettings::load(services.objects.as_ref(), &connection)
                .await
                .map_or(KNOWN_RETENTION_DAYS, |(settings, _)| {
                    settings.known_retention_days
                });
            let workers = crate::service::provision::known::prune_terminated(
                services,
                workers,
                retention,
                services.clock.now(),
            )
            .await;
            if workers.is_empty() {
                return Err(ScheduleError::NoExport { connection, keys });
            }
            let key = ObjectKey::parse(&format!("connections/{connection}/hr/known"))
                .map_err(|e| ScheduleError::BadEvent(e.to_string()))?;
            Ok((
                key,
                HrBatch {
                    workers,
                    quarantined: Vec::new(),
                },
            ))
        }
        other => other,
    }
}

/// The connection's export and what the HR readers made of it.
pub(crate) async fn read_export(
    services: &Services,
    connection: &ConnectionId,
) -> Result<(ObjectKey, HrBatch), ScheduleError> {
    let mut keys = Vec::new();
    for name in EXPORT_NAMES {
        let text = format!("connections/{connection}/hr/{name}");
        let key = ObjectKey::parse(&text).map_err(|e| ScheduleError::BadEvent(e.to_string()))?;
        if let Some((bytes, _)) = services.objects.get(&key).await? {
            let file: std::sync::Arc<str> = text.as_str().into();
            let batch = if name.ends_with(".csv") {
                read_csv(&bytes, file)?
            } else {
                read_json(&bytes, file)?
            };
            return Ok((key, batch));
        }
        keys.push(text);
    }
    Err(ScheduleError::NoExport {
        connection: connection.clone(),
        keys,
    })
}
