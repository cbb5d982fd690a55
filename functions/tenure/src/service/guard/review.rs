//! What a person approves: the plan a held change makes now, named by its digest
//! ([`plan_digest`]). [`review`] plans the held work and keeps that plan under its digest
//! (`connections/<id>/reviewed/<approval>/<digest>.json`, written once: the same digest is
//! the same plan); an approval that names the digest its approver saw
//! ([`super::approve_reviewed`]) goes through only while planning again gives the same digest,
//! and otherwise says what differs ([`differences`]) from the plan that was seen.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::approvals::Approval;
use super::whole::{JudgeError, preview};
use crate::plan::{Plan, WorkerPlan};
use crate::report::describe;
use crate::service::Services;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey};

/// The digest of "no plan could be made" (no mapping or no directory read yet): what a person
/// approves when there is nothing to show.
pub const NO_PLAN: &str = "none";

/// A held change's plan as a person reviews it.
#[derive(Debug, Clone)]
pub struct Review {
    /// The plan made now.
    pub plan: Plan,
    /// Its digest ([`plan_digest`] of its workers).
    pub digest: String,
}

/// The plan kept under its digest.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reviewed {
    digest: String,
    workers: Vec<WorkerPlan>,
}

/// SHA-256 (hex) of what a plan does: each worker with actions (employee id, kind of change,
/// the actions' operations in order), by employee id. Reasons, notes, the moment planned for
/// and the workers' order are left out: a plan made a second later that does the same, or the
/// same workers' part of a larger plan, has the same digest.
pub fn plan_digest<'a>(workers: impl IntoIterator<Item = &'a WorkerPlan>) -> String {
    let mut changing: Vec<&WorkerPlan> = workers
        .into_iter()
        .filter(|w| !w.actions.is_empty())
        .collect();
    changing.sort_by(|a, b| a.employee_id.cmp(&b.employee_id));
    let mut hash = Sha256::new();
    for worker in changing {
        let ops: Vec<_> = worker.actions.iter().map(|a| &a.op).collect();
        let line = serde_json::json!([worker.employee_id, worker.change, ops]);
        hash.update(line.to_string().as_bytes());
        hash.update(b"\n");
    }
    hex::encode(hash.finalize())
}

/// The key of a reviewed plan (`None` for an approval id or digest no key can hold; approval
/// ids are checked before anything is reviewed).
fn reviewed_key(connection: &ConnectionId, approval: &str, digest: &str) -> Option<ObjectKey> {
    ObjectKey::parse(&format!(
        "connections/{connection}/reviewed/{approval}/{digest}.json"
    ))
    .ok()
}

/// Plans `approval`'s held work now ([`preview`]) and keeps the plan under its digest for the
/// approval to be checked against; `None` when there is nothing to plan against yet (its digest
/// is then [`NO_PLAN`]).
pub async fn review(
    services: &Services,
    connection: &ConnectionId,
    approval: &Approval,
) -> Result<Option<Review>, JudgeError> {
    let Some(plan) = preview(services, connection, &approval.items).await? else {
        return Ok(None);
    };
    let digest = plan_digest(&plan.workers);
    let kept = Reviewed {
        digest: digest.clone(),
        workers: plan
            .workers
            .iter()
            .filter(|w| !w.actions.is_empty())
            .cloned()
            .collect(),
    };
    let Some(key) = reviewed_key(connection, &approval.id, &digest) else {
        return Ok(Some(Review { plan, digest }));
    };
    let bytes = serde_json::to_vec(&kept)
        .map_err(|e| ObjectError::unavailable("write", &key, e.to_string()))?;
    match services.objects.put(&key, bytes, Condition::Absent).await {
        // Kept before: the same digest is the same plan.
        Ok(_) | Err(ObjectError::Conflict { .. }) => {}
        Err(error) => return Err(error.into()),
    }
    Ok(Some(Review { plan, digest }))
}

/// Brings the connection's cached directory up to date with its tenant
/// ([`crate::service::provision::refresh_directory`]) before a review; when the tenant cannot
/// be read, the review plans against the directory last kept (logged).
pub async fn refresh(services: &Services, connection: &ConnectionId) {
    let refreshed = Box::pin(crate::service::provision::refresh_directory(
        services, connection,
    ));
    if let Err(error) = refreshed.await {
        tracing::warn!(%connection, %error, "cannot read the tenant again for a review; the directory last kept is used");
    }
}

/// The workers (those with actions) of the plan reviewed for `approval` under `digest`, if it
/// was kept ([`NO_PLAN`]: none).
pub async fn reviewed(
    services: &Services,
    connection: &ConnectionId,
    approval: &str,
    digest: &str,
) -> Option<Vec<WorkerPlan>> {
    if digest == NO_PLAN {
        return Some(Vec::new());
    }
    let valid = digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return None;
    }
    let key = reviewed_key(connection, approval, digest)?;
    let (bytes, _) = services.objects.get(&key).await.ok()??;
    let kept: Reviewed = serde_json::from_slice(&bytes).ok()?;
    Some(kept.workers)
}

/// What differs between the plan seen (`before`) and the plan now (`after`), one line each:
/// `+` an action (or a worker) added, `-` one taken out, by worker in the order of `after`.
pub fn differences(before: &[WorkerPlan], after: &[WorkerPlan]) -> Vec<String> {
    let mut lines = Vec::new();
    let name = |w: &WorkerPlan| format!("{} {}", w.employee_id, w.display_name);
    for now in after.iter().filter(|w| !w.actions.is_empty()) {
        let then = before.iter().find(|w| w.employee_id == now.employee_id);
        let then_actions = then.map_or(&[][..], |w| &w.actions[..]);
        if then_actions.is_empty() {
            lines.push(format!(
                "+ {}: added ({} actions)",
                name(now),
                now.actions.len()
            ));
        }
        for action in &now.actions {
            if !then_actions.iter().any(|a| a.op == action.op) {
                lines.push(format!("+ {}: {}", name(now), describe(action)));
            }
        }
        for action in then_actions {
            if !now.actions.iter().any(|a| a.op == action.op) {
                lines.push(format!("- {}: {}", name(now), describe(action)));
            }
        }
    }
    for then in before.iter().filter(|w| !w.actions.is_empty()) {
        let gone = !after
            .iter()
            .any(|w| w.employee_id == then.employee_id && !w.actions.is_empty());
        if gone {
            let mut line = format!("- {}: no longer in the plan", name(then));
            for action in &then.actions {
                let _ = write!(line, "; {}", describe(action));
            }
            lines.push(line);
        }
    }
    lines
}
