//! What the deployment is asked to do: its tenants and their HR events (one tenant onboarding a
//! large company at once through a scheduled sync, the others a trickle of hires delivered by
//! webhook over the working day), made into queue messages by the engine's own rules.

use std::sync::Arc;

use tenure::hr::SourcedWorker;
use tenure::queue::{
    MAX_MESSAGE_BYTES, MessagePart, PER_TENANT_LANES, QueuedWorker, WorkItem, lane_among,
};
use tenure::store::connections::ConnectionId;
use tenure::worker::{EmployeeId, SourceRef, Worker};

use super::{Micros, SECOND};

/// The tenants and their events.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// Tenants with a trickle of hires.
    pub(crate) trickle_tenants: usize,
    /// Each trickle tenant's mean hires per working day, drawn uniformly in this range.
    pub(crate) hires_per_day: (f64, f64),
    /// The working day over which hires arrive (a Poisson process).
    pub(crate) working_day: Micros,
    /// Users in each trickle tenant's directory (what a run reads).
    pub(crate) trickle_directory: usize,
    /// Workers of each tenant onboarded at time 0 (none when 0).
    pub(crate) onboarding_workers: usize,
    /// Tenants onboarded at time 0, besides the trickle tenants.
    pub(crate) onboardings: usize,
    /// Every this often through the working day, a scheduled sync of every tenant (the
    /// template's `rate(1 hour)`): its whole export queued again, most of it with nothing to
    /// do. Never when 0.
    pub(crate) reconcile_every: Micros,
    /// The seed of every random draw.
    pub(crate) seed: u64,
}

impl Scenario {
    /// Issue 17's deployment: 199 tenants hiring 2 to 20 people per 9-hour working day (about
    /// 2,200 hires in all), 2,000 users each, and one onboarding 100,000 workers at the day's
    /// start.
    pub(crate) fn issue_17(seed: u64) -> Self {
        Self {
            trickle_tenants: 199,
            hires_per_day: (2.0, 20.0),
            working_day: 9 * 3_600 * SECOND,
            trickle_directory: 2_000,
            onboarding_workers: 100_000,
            onboardings: 1,
            reconcile_every: 0,
            seed,
        }
    }
}

impl Scenario {
    /// How many tenants onboard (the first ones).
    pub(crate) fn onboarding_tenants(&self) -> usize {
        if self.onboarding_workers == 0 {
            0
        } else {
            self.onboardings
        }
    }
}

/// An HR event: workers of one tenant reaching the queue at one moment.
#[derive(Debug)]
pub(crate) struct HrEvent {
    /// When it reached the queue.
    pub(crate) at: Micros,
    /// The tenant (those below [`Scenario::onboarding_tenants`] onboard).
    pub(crate) tenant: usize,
    /// The workers.
    pub(crate) workers: Vec<SourcedWorker>,
    /// A scheduled sync (messages of at most `workers_per_message`) rather than a webhook.
    pub(crate) scheduled: bool,
}

/// Every event of the scenario, in time order.
pub(crate) fn events(scenario: &Scenario) -> Vec<HrEvent> {
    let mut rng = fastrand::Rng::with_seed(scenario.seed);
    let mut events = Vec::new();
    let onboarding = scenario.onboarding_tenants();
    for t in 0..onboarding {
        events.push(HrEvent {
            at: 0,
            tenant: t,
            workers: (0..scenario.onboarding_workers)
                .map(|n| joiner(&format!("o{t}w{n:06}"), n))
                .collect(),
            scheduled: true,
        });
    }
    for t in onboarding..onboarding + scenario.trickle_tenants {
        let (low, high) = scenario.hires_per_day;
        let per_day = low + (high - low) * rng.f64();
        let mean_gap = scenario.working_day as f64 / per_day;
        let mut at = 0.0;
        for n in 0.. {
            // Exponential gaps: a Poisson process over the working day.
            at += -mean_gap * (1.0 - rng.f64()).ln();
            if at >= scenario.working_day as f64 {
                break;
            }
            events.push(HrEvent {
                at: at as Micros,
                tenant: t,
                workers: vec![joiner(&format!("t{t:03}w{n:05}"), 1)],
                scheduled: false,
            });
        }
    }
    events.sort_by_key(|e| e.at);
    events
}

/// The HR export of a trickle tenant's `staff` workers, all with an account: what its
/// scheduled sync queues besides the day's hires.
pub(crate) fn staff(tenant: usize, staff: usize) -> HrEvent {
    HrEvent {
        at: 0,
        tenant,
        workers: (0..staff)
            .map(|n| joiner(&format!("t{tenant:03}s{n:05}"), n))
            .collect(),
        scheduled: true,
    }
}

/// The connection id of tenant `t`.
pub(crate) fn connection(t: usize) -> ConnectionId {
    ConnectionId::parse(&format!("tenant-{t:03}")).expect("the model's connection ids are valid")
}

/// The messages of `event`, as the engine makes them: with Tenure's [`PER_TENANT_LANES`],
/// `WorkItem::split_at_most` (the scheduled sync) or `WorkItem::split` (a webhook delivery)
/// themselves; with another count of lanes, the same rule (each lane's workers in order, at most
/// `per_message` each) over [`lane_among`]. Each with its message group.
pub(crate) fn messages(event: &HrEvent, lanes: u32, per_message: usize) -> Vec<(WorkItem, String)> {
    if lanes != PER_TENANT_LANES {
        return messages_by_hash(event, lanes, per_message);
    }
    let connection = connection(event.tenant);
    let delivery = format!("event-{}", event.at);
    let per_message = if event.scheduled {
        per_message
    } else {
        usize::MAX
    };
    let items = WorkItem::split_at_most(&connection, &delivery, event.workers.clone(), per_message)
        .unwrap_or_default();
    items
        .into_iter()
        .map(|item| {
            let group = item.message_group();
            (item, group)
        })
        .collect()
}

/// The messages of `event` by [`lane_among`] `lanes`: each lane's workers in order, at most
/// `per_message` and [`MAX_MESSAGE_BYTES`] each (what `WorkItem::split_at_most` does with [`PER_TENANT_LANES`]; the model's
/// tests check that the two agree there).
pub(crate) fn messages_by_hash(
    event: &HrEvent,
    lanes: u32,
    per_message: usize,
) -> Vec<(WorkItem, String)> {
    let connection = connection(event.tenant);
    let delivery = format!("event-{}", event.at);
    let per_message = if event.scheduled {
        per_message
    } else {
        usize::MAX
    };
    let envelope = WorkItem::notice(&connection, &delivery)
        .to_json()
        .map_or(0, |body| body.len());
    let mut items = Vec::new();
    for lane in 0..lanes {
        let mut current: Vec<QueuedWorker> = Vec::new();
        let mut size = envelope;
        let in_lane = event
            .workers
            .iter()
            .filter(|w| lane_among(w.worker.employee_id.as_str(), lanes) == lane);
        for sourced in in_lane {
            let worker = QueuedWorker {
                source: sourced.source.to_string(),
                worker: sourced.worker.clone(),
                partial: false,
            };
            let worker_size = serde_json::to_vec(&worker).map_or(0, |body| body.len()) + 1;
            if size + worker_size > MAX_MESSAGE_BYTES || current.len() >= per_message.max(1) {
                items.push(std::mem::take(&mut current));
                size = envelope;
            }
            size += worker_size;
            current.push(worker);
        }
        if !current.is_empty() {
            items.push(current);
        }
    }
    let mut items: Vec<WorkItem> = items
        .into_iter()
        .map(|workers| WorkItem {
            workers,
            ..WorkItem::notice(&connection, &delivery)
        })
        .collect();
    MessagePart::number(&mut items);
    items
        .into_iter()
        .map(|item| {
            let group = group_of(&item, lanes);
            (item, group)
        })
        .collect()
}

/// The message group of `item` among `lanes` (that of its first worker).
pub(crate) fn group_of(item: &WorkItem, lanes: u32) -> String {
    if lanes == PER_TENANT_LANES {
        return item.message_group();
    }
    let lane = item
        .workers
        .first()
        .map_or(0, |w| lane_among(w.worker.employee_id.as_str(), lanes));
    format!("{}/{lane}", item.connection_id)
}

/// A new hire with only what the queue needs.
fn joiner(employee_id: &str, line: usize) -> SourcedWorker {
    let id = EmployeeId::parse(employee_id).expect("the model's employee ids are valid");
    let worker = Worker {
        first_name: Some("Ada".into()),
        last_name: Some(format!("Joiner{line}").into()),
        job_title: Some("Engineer".into()),
        department: Some("Research".into()),
        country: Some("GB".into()),
        ..Worker::active(id)
    };
    SourcedWorker {
        worker,
        source: SourceRef {
            file: Arc::from("hr"),
            line: line as u64,
        },
    }
}
