//! Whole-change judgment: a webhook delivery or a scheduled export is planned as a whole
//! against the connection's cached directory before anything is queued, so a change spread over
//! lanes and runs is judged as the one change it is. [`preview`] makes the same plan for a
//! person to read.

use async_trait::async_trait;

use super::approvals::{self, Hold, Origin};
use super::supervision::supervise;
use crate::guard::Effect;
use crate::pipeline::{self, PipelineError, PlanRequest};
use crate::plan::Plan;
use crate::queue::WorkItem;
use crate::service::Services;
use crate::service::plugins::{self, PluginLoadError};
use crate::service::provision::{batch, known, records};
use crate::service::settings::{MappingSettings, SettingsError, Supervision};
use crate::store::connections::{ConnectionError, ConnectionId};
use crate::store::objects::ObjectError;
use crate::today::Today;
use crate::webhook::{Held, WholeChangeGuard};

/// The guard's verdict on a whole change.
#[derive(Debug, Clone, PartialEq)]
pub enum Judgment {
    /// Queue it: within the guard's share, or nothing to judge it against yet (no mapping
    /// settings, no cached directory: each provision run is then judged, and the budget
    /// applies).
    Pass,
    /// Hold it for approval.
    Hold {
        /// Why, in words.
        reason: String,
        /// What it takes away.
        effect: Effect,
    },
}

/// Why a change could not be judged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JudgeError {
    /// The settings could not be read.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The connection record could not be read.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] ObjectError),
    /// The plugin could not be loaded.
    #[error(transparent)]
    Plugin(#[from] PluginLoadError),
    /// The change could not be planned.
    #[error(transparent)]
    Plan(#[from] PipelineError),
}

/// Judges the work `items` of one connection as a whole: plans it against the cached
/// directory with the connection's plugin and guard share, without writing anything. Held
/// when the connection's supervision holds the plan ([`supervise`]) or the guard refuses it;
/// both reasons are given when both hold it.
pub async fn judge_whole(
    services: &Services,
    connection: &ConnectionId,
    items: &[WorkItem],
) -> Result<Judgment, JudgeError> {
    let settings = match MappingSettings::load(services.objects.as_ref(), connection).await {
        Ok((settings, _)) => settings,
        Err(SettingsError::Missing(_)) => return Ok(Judgment::Pass),
        Err(e) => return Err(e.into()),
    };
    let workers: usize = items.iter().map(|i| i.workers.len()).sum();
    let supervision = settings.guard.supervision;
    // The guard never refuses a change of at most `min_users` users: nothing to read, unless
    // the connection is supervised.
    if workers <= settings.guard.policy().min_users && supervision == Supervision::Automatic {
        return Ok(Judgment::Pass);
    }
    let Some(plan) = plan_with(services, connection, &settings, items).await? else {
        tracing::info!(%connection, workers,
            "no cached directory to judge the change against: each provision run is judged");
        return Ok(Judgment::Pass);
    };
    let mut reasons: Vec<String> = supervise(supervision, &plan.workers)
        .map(str::to_owned)
        .into_iter()
        .collect();
    if let Some(verdict) = plan.guard.filter(|verdict| !verdict.allowed) {
        reasons.push(
            verdict
                .message
                .unwrap_or_else(|| "refused by the guard".to_owned()),
        );
    }
    if reasons.is_empty() {
        return Ok(Judgment::Pass);
    }
    Ok(Judgment::Hold {
        reason: reasons.join("; "),
        effect: Effect::of_workers(&plan.workers),
    })
}

/// The plan of the work `items` against the connection's cached directory, as provisioning
/// would make it today (with the connection's plugin, configuration and guard), without
/// writing anything: what a person approving a held change reads. `None` when there is nothing
/// to plan against yet (no mapping settings, no connection record, no cached directory).
pub async fn preview(
    services: &Services,
    connection: &ConnectionId,
    items: &[WorkItem],
) -> Result<Option<Plan>, JudgeError> {
    let settings = match MappingSettings::load(services.objects.as_ref(), connection).await {
        Ok((settings, _)) => settings,
        Err(SettingsError::Missing(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    plan_with(services, connection, &settings, items).await
}

async fn plan_with(
    services: &Services,
    connection: &ConnectionId,
    settings: &MappingSettings,
    items: &[WorkItem],
) -> Result<Option<Plan>, JudgeError> {
    let Some((record, _)) = services.connections.get(connection).await? else {
        return Ok(None);
    };
    let cache = records::read_cache(services.objects.as_ref(), connection).await;
    let graph = record.endpoints().graph;
    let (Some(cached), _) = records::decode_cache(cache, connection, &graph) else {
        return Ok(None);
    };
    let plugin = plugins::load(services, connection, &settings.plugin).await?;
    let mut items = items.to_vec();
    known::fill(services, connection, &mut items).await?;
    let config = settings.config_json();
    let plan = pipeline::plan(PlanRequest {
        hr: batch::hr_batch(&items),
        directory: &cached.directory,
        plugin: &plugin,
        plugin_config: &config,
        today: Today::Instant(services.clock.now()),
        guard: settings.guard.policy(),
        first_day_delivered: Default::default(),
    })?;
    Ok(Some(plan))
}

/// The webhook's whole-change guard over a deployment's [`Services`]: a delivery the guard
/// refuses, or one it cannot judge, is kept as a pending approval instead of queued.
pub struct ServiceGuard<'a>(pub &'a Services);

#[async_trait]
impl WholeChangeGuard for ServiceGuard<'_> {
    async fn hold(
        &self,
        connection: &ConnectionId,
        delivery_id: &str,
        items: &[WorkItem],
    ) -> Result<Option<Held>, String> {
        let (reason, effect) = match judge_whole(self.0, connection, items).await {
            Ok(Judgment::Pass) => return Ok(None),
            Ok(Judgment::Hold { reason, effect }) => (reason, effect),
            Err(error) => (
                format!("the change could not be judged as a whole, so it waits: {error}"),
                Effect::default(),
            ),
        };
        let hold = Hold {
            origin: Origin::Webhook,
            deliveries: vec![delivery_id.to_owned()],
            reason,
            effect,
            items: items.to_vec(),
        };
        let approval = approvals::hold(self.0, connection, hold)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Some(Held {
            approval_id: approval.id,
            reason: approval.reason,
        }))
    }
}
