//! The guard of one provision run: workers a person approved pass; the others are judged by the
//! connection's share and then draw from its rolling 24-hour budget. Whatever does not pass is
//! taken out of the plan before anything is applied and kept as one pending approval.

use std::collections::HashSet;

use super::ProvisionError;
use crate::guard::{Effect, GuardPolicy};
use crate::plan::Plan;
use crate::queue::WorkItem;
use crate::service::Services;
use crate::service::guard::{self, ApprovalStatus, Hold, Origin, Request};
use crate::service::settings::GuardSettings;
use crate::store::connections::ConnectionId;

/// What the gate held back.
pub(super) struct Held {
    /// The pending approval.
    pub(super) approval: String,
    /// When the run's share was exceeded (the whole run held, not only part of it): the plan
    /// of the held workers, for a person to read.
    pub(super) refused: Option<Plan>,
}

/// The employee ids of `items` whose release a person approved (the approval read back as
/// approved; an approval id that is unknown or still pending counts for nothing). A worker who
/// also has a record in work nobody approved is not among them.
pub(super) async fn approved_workers(
    services: &Services,
    connection: &ConnectionId,
    items: &[WorkItem],
) -> HashSet<String> {
    let mut approved = HashSet::new();
    let mut checked: Vec<(String, bool)> = Vec::new();
    for item in items {
        let Some(id) = &item.approval else { continue };
        let ok = match checked.iter().find(|(c, _)| c == id) {
            Some((_, ok)) => *ok,
            None => {
                let ok = match guard::approvals::get(services.objects.as_ref(), connection, id)
                    .await
                {
                    Ok(Some(a)) => matches!(a.status, ApprovalStatus::Approved { .. }),
                    Ok(None) => false,
                    Err(error) => {
                        tracing::warn!(%connection, approval = %id, %error, "cannot read an approval; its work is judged as any other");
                        false
                    }
                };
                if !ok {
                    tracing::warn!(%connection, approval = %id, "work names an approval that is not approved; judged as any other");
                }
                checked.push((id.clone(), ok));
                ok
            }
        };
        if ok {
            approved.extend(
                item.workers
                    .iter()
                    .map(|w| w.worker.employee_id.as_str().to_owned()),
            );
        }
    }
    let unapproved: HashSet<&str> = items
        .iter()
        .filter(|item| {
            !item
                .approval
                .as_ref()
                .is_some_and(|id| checked.iter().any(|(c, ok)| c == id && *ok))
        })
        .flat_map(|item| &item.workers)
        .map(|w| w.worker.employee_id.as_str())
        .collect();
    approved.retain(|id| !unapproved.contains(id.as_str()));
    approved
}

/// Keeps in `approved` only the workers whose part of `plan` is what their approver saw: for
/// an approval of a reviewed plan (its digest kept on the approval), the run's plan of the
/// approval's workers must have the digest of the same workers in the plan reviewed (a
/// release split over lanes is checked part by part). Workers whose plan changed since are
/// judged again as any other (a supervised connection holds them again, for a new approval).
pub(super) async fn still_as_approved(
    services: &Services,
    connection: &ConnectionId,
    items: &[WorkItem],
    plan: &Plan,
    approved: &mut HashSet<String>,
) {
    let mut ids: Vec<&String> = items.iter().filter_map(|i| i.approval.as_ref()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let Ok(Some(approval)) =
            guard::approvals::get(services.objects.as_ref(), connection, id).await
        else {
            continue;
        };
        let ApprovalStatus::Approved {
            plan: Some(digest), ..
        } = &approval.status
        else {
            continue;
        };
        if digest == guard::NO_PLAN {
            continue;
        }
        let theirs: HashSet<&str> = items
            .iter()
            .filter(|i| i.approval.as_ref() == Some(id))
            .flat_map(|i| &i.workers)
            .map(|w| w.worker.employee_id.as_str())
            .filter(|e| approved.contains(*e))
            .collect();
        let now = guard::plan_digest(
            plan.workers
                .iter()
                .filter(|w| theirs.contains(w.employee_id.as_str())),
        );
        let seen = match guard::review::reviewed(services, connection, id, digest).await {
            Some(reviewed) => guard::plan_digest(
                reviewed
                    .iter()
                    .filter(|w| theirs.contains(w.employee_id.as_str())),
            ),
            None => String::new(),
        };
        if now != seen {
            tracing::warn!(%connection, approval = %id,
                "the plan of approved work changed since it was approved; its workers are judged again");
            approved.retain(|e| !theirs.contains(e.as_str()));
        }
    }
}

/// Judges the plan's workers that are not `approved`: by the connection's supervision
/// ([`guard::supervise`]: a supervised plan is held whole), then the others against the share
/// of `settings` and the rolling budget. Workers that do not pass leave `plan` and are kept,
/// with their `items`, as one pending approval.
pub(super) async fn gate(
    services: &Services,
    connection: &ConnectionId,
    deliveries: &[String],
    items: &[WorkItem],
    plan: &mut Plan,
    approved: &HashSet<String>,
    settings: &GuardSettings,
) -> Result<Option<Held>, ProvisionError> {
    let managed = plan.guard.as_ref().map_or(0, |g| g.managed_users);
    let policy: GuardPolicy = settings.policy();
    let unapproved = || {
        plan.workers
            .iter()
            .filter(|w| !approved.contains(&w.employee_id))
    };
    let supervised_reason = guard::supervise(settings.supervision, unapproved());
    let supervised: HashSet<String> = match supervised_reason {
        Some(_) => unapproved()
            .filter(|w| !w.actions.is_empty())
            .map(|w| w.employee_id.clone())
            .collect(),
        None => HashSet::new(),
    };
    let judged = || unapproved().filter(|w| !supervised.contains(&w.employee_id));
    let verdict = policy.judge_workers(judged(), managed);
    let refused = !verdict.allowed;
    let (mut held, guard_reason): (HashSet<String>, String) = if refused {
        let held = judged().map(|w| w.employee_id.clone()).collect();
        let reason = verdict.message.clone().unwrap_or_default();
        (held, reason)
    } else {
        let requests: Vec<Request> = judged()
            .map(|w| Request {
                employee_id: w.employee_id.clone(),
                effect: Effect::of_worker(w),
            })
            .filter(|r| !r.effect.is_empty())
            .collect();
        if requests.is_empty() {
            (HashSet::new(), String::new())
        } else {
            budget_holds(
                services, connection, deliveries, managed, settings, &requests,
            )
            .await?
        }
    };
    let mut reasons: Vec<String> = supervised_reason.map(str::to_owned).into_iter().collect();
    if !held.is_empty() {
        reasons.push(guard_reason);
    }
    held.extend(supervised);
    let reason = reasons.join("; ");
    plan.guard = Some(verdict);
    if held.is_empty() {
        return Ok(None);
    }
    let effect = Effect::of_workers(
        plan.workers
            .iter()
            .filter(|w| held.contains(&w.employee_id)),
    );
    let (kept, removed): (Vec<_>, Vec<_>) = std::mem::take(&mut plan.workers)
        .into_iter()
        .partition(|w| !held.contains(&w.employee_id));
    plan.workers = kept;
    let refused = refused.then(|| Plan {
        workers: removed,
        ..plan.clone()
    });
    let held_items: Vec<WorkItem> = items
        .iter()
        .map(|item| WorkItem {
            workers: item
                .workers
                .iter()
                .filter(|w| held.contains(w.worker.employee_id.as_str()))
                .cloned()
                .collect(),
            ..item.clone()
        })
        .filter(|item| !item.workers.is_empty())
        .collect();
    let hold = Hold {
        origin: Origin::Provision,
        deliveries: deliveries.to_vec(),
        reason,
        effect,
        items: held_items,
    };
    let approval = guard::hold(services, connection, hold)
        .await
        .map_err(|source| ProvisionError::Approval {
            connection: connection.clone(),
            source,
        })?;
    Ok(Some(Held {
        approval: approval.id,
        refused,
    }))
}

/// Draws the `requests` from the rolling budget: the workers it does not grant, and why.
async fn budget_holds(
    services: &Services,
    connection: &ConnectionId,
    deliveries: &[String],
    managed: usize,
    settings: &GuardSettings,
    requests: &[Request],
) -> Result<(HashSet<String>, String), ProvisionError> {
    let limit = settings.budget.limit(managed);
    let delivery = deliveries.first().map_or("delivery", String::as_str);
    let grant = guard::draw(
        services.objects.as_ref(),
        connection,
        delivery,
        services.clock.now(),
        limit,
        requests,
    )
    .await?;
    let held: HashSet<String> = requests
        .iter()
        .zip(&grant.granted)
        .filter(|(_, granted)| !**granted)
        .map(|(r, _)| r.employee_id.clone())
        .collect();
    let used: Vec<String> = crate::guard::Reduction::ALL
        .iter()
        .map(|k| format!("{} {}", grant.used.get(k).copied().unwrap_or(0), k.name()))
        .collect();
    let reason = format!(
        "held: the rolling 24-hour budget of {limit} users per kind (of {managed} managed \
         users) is spent ({} drawn in the last 24 hours); approve to apply these {} \
         workers' changes anyway",
        used.join(", "),
        held.len()
    );
    Ok((held, reason))
}
