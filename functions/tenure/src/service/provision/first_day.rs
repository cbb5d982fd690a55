//! Which starts of a run's workers already got their first-day access (read before planning,
//! so a start never gets two), and the record of those this run delivered, under
//! `connections/<id>/first-day/`.

use crate::apply::ApplyReport;
use crate::hr::SourcedWorker;
use crate::notify::{Delivered, delivered_in, read_delivered, recent_starters, record_delivered};
use crate::plan::Plan;
use crate::service::Services;
use crate::store::connections::ConnectionId;
use crate::store::objects::ObjectKey;
use crate::today::Today;

use super::ProvisionError;

fn folder(connection: &ConnectionId) -> ObjectKey {
    ObjectKey::join(&["connections", connection.as_str()])
        .unwrap_or_else(|_| unreachable!("a connection id is a valid key segment"))
}

/// The delivered starts of the workers who started lately (the only ones access can be due
/// for).
pub(super) async fn delivered(
    services: &Services,
    connection: &ConnectionId,
    workers: &[SourcedWorker],
    now: jiff::Timestamp,
) -> Result<Delivered, ProvisionError> {
    let recent = recent_starters(workers, Today::Instant(now));
    if recent.is_empty() {
        return Ok(Delivered::default());
    }
    read_delivered(services.objects.as_ref(), &folder(connection), &recent)
        .await
        .map_err(|source| ProvisionError::Store {
            connection: connection.clone(),
            source,
        })
}

/// Records every first-day access the run delivered. A record that cannot be written is
/// logged: the worst it costs is a second pass for the same start.
pub(super) async fn record(
    services: &Services,
    connection: &ConnectionId,
    plan: &Plan,
    applied: &ApplyReport,
) {
    for (employee_id, start) in delivered_in(plan, applied) {
        if let Err(error) = record_delivered(
            services.objects.as_ref(),
            &folder(connection),
            &employee_id,
            start,
        )
        .await
        {
            tracing::warn!(%connection, %employee_id, %error, "cannot record a first-day delivery");
        }
    }
}
