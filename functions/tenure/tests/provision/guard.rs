//! The guard at the deployment's scale: a webhook delivery or a scheduled export is judged as a
//! whole before anything is queued, every provision run draws from a rolling 24-hour budget,
//! and what the guard holds waits for an approval that releases it exactly once.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use tenure::clock::Clock;
use tenure::hr::read_csv;
use tenure::queue::{WorkItem, lane_of};
use tenure::service::guard::{self, ApprovalStatus, Origin};
use tenure::service::http::webhook_routes;
use tenure::service::provision::provision;
use tenure::service::schedule::schedule;
use tenure::service::settings::{GuardSettings, MappingSettings};
use tenure::store::objects::{Condition, ObjectKey};
use tenure::store::secrets::{SecretKind, SecretName};
use tenure_test_support::webhook::sign;

use super::helpers::{Env, Error, TestResult};
use crate::support::ApiEvent;

/// A Monday; the sample company's leavers below leave on the Friday before.
const START: &str = "2027-01-04T09:00:00Z";
const LAST_DAY: &str = "2027-01-01";

/// The columns of `samplesdata/company.csv` the tests change.
const DEPARTMENT: usize = 7;
const MANAGER: usize = 12;
const STATUS: usize = 13;
const TERMINATION: usize = 17;

/// The sample company as CSV, each row's fields passed through `edit`; rows it answers `false`
/// for are left out.
pub(super) fn company(edit: impl Fn(&mut Vec<String>) -> bool) -> Result<String, Error> {
    let text = String::from_utf8(crate::support::samples::read("company.csv")?)?;
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().ok_or("an empty company.csv")?);
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let mut fields: Vec<String> = line.split(',').map(str::to_owned).collect();
        if edit(&mut fields) {
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    Ok(out)
}

/// The sample company's workers (the records the HR checks accept).
pub(super) fn workers() -> Result<Vec<tenure::hr::SourcedWorker>, Error> {
    Ok(read_csv(company(|_| true)?.as_bytes(), "workers.csv".into())?.workers)
}

/// The employee ids of the sample company.
fn employee_ids() -> Result<Vec<String>, Error> {
    Ok(workers()?
        .into_iter()
        .map(|s| s.worker.employee_id.as_str().to_owned())
        .collect())
}

/// The work items of HR saying that `ids` left on [`LAST_DAY`] (full records, one per lane).
pub(super) fn leavers(env: &Env, delivery: &str, ids: &[String]) -> Result<Vec<WorkItem>, Error> {
    let csv = company(|row| {
        let leaving = ids.contains(&row[0]);
        if leaving {
            // Their managers are not in this batch (they are in the directory).
            row[MANAGER] = String::new();
            row[STATUS] = "terminated".to_owned();
            row[TERMINATION] = LAST_DAY.to_owned();
        }
        leaving
    })?;
    let batch = read_csv(csv.as_bytes(), "webhook".into())?;
    assert!(batch.quarantined.is_empty(), "{:?}", batch.quarantined);
    Ok(WorkItem::split(&env.connection, delivery, batch.workers)?)
}

/// The employees with an enabled account in the tenant now.
pub(super) fn enabled(env: &Env) -> Vec<String> {
    let mut ids: Vec<String> = env
        .tenant
        .state()
        .users
        .into_iter()
        .filter(|u| u.account_enabled)
        .filter_map(|u| u.employee_id)
        .collect();
    ids.sort();
    ids
}

/// A connection on local stores whose clock reads [`START`], with the sample company as its HR
/// export and a directory cache left by one provision run (what whole changes are judged
/// against).
pub(super) async fn warmed() -> Result<Env, Error> {
    let mut env = Env::local(Duration::from_secs(60)).await?;
    env.services.clock = Clock::manual(START.parse()?);
    let key = ObjectKey::parse(&format!("connections/{}/hr/workers.csv", env.connection))?;
    env.services
        .objects
        .put(&key, company(|_| true)?.into_bytes(), Condition::Always)
        .await?;
    provision(&env.services, &[env.hire("d-warm", "9301")?]).await?;
    Ok(env)
}

/// [`warmed`], then the tenant brought to the sample company (the guard opened for that run),
/// and the directory cache refreshed by one more run.
async fn converged() -> Result<Env, Error> {
    let env = warmed().await?;
    set_guard(&env, |s| {
        s.guard.min_users = 1000;
        s.guard.budget.daily_min = 1000;
    })
    .await?;
    let items = WorkItem::split(&env.connection, "d-converge", workers()?)?;
    provision(&env.services, &items).await?;
    set_guard(&env, |s| s.guard = GuardSettings::default()).await?;
    provision(&env.services, &[env.hire("d-refresh", "9302")?]).await?;
    Ok(env)
}

pub(super) async fn set_guard(env: &Env, edit: impl Fn(&mut MappingSettings)) -> TestResult {
    let objects = env.services.objects.as_ref();
    let (mut settings, version) = MappingSettings::load(objects, &env.connection).await?;
    edit(&mut settings);
    settings
        .save(objects, &env.connection, Condition::Matches(version))
        .await?;
    Ok(())
}

/// Everything on the in-process queue now.
/// The work queued: items with workers (a hold's notice, which has none, is left out).
pub(super) async fn queued(env: &Env) -> Result<Vec<WorkItem>, Error> {
    let mut items = Vec::new();
    for received in env.services.queue.receive(10, Duration::ZERO).await? {
        let item = received.item?;
        if !item.workers.is_empty() {
            items.push(item);
        }
    }
    Ok(items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminate_everyone_delivery_split_over_lanes_is_held_as_a_whole_then_approved_once()
-> TestResult {
    let env = warmed().await?;
    let ids = employee_ids()?;
    // Each lane's share of the delivery passes the per-run guard: only the whole is too much.
    let mut per_lane: BTreeMap<u32, usize> = BTreeMap::new();
    for id in &ids {
        *per_lane.entry(lane_of(id)).or_default() += 1;
    }
    let widest = per_lane.values().copied().max().unwrap_or(0);
    assert!(per_lane.len() > 1, "{per_lane:?}");
    set_guard(&env, |s| s.guard.min_users = widest).await?;
    let webhook_key = "whsec-guard-test-Zr4k";
    env.services
        .secrets
        .put_new(
            &SecretName::for_connection(&env.connection, SecretKind::WebhookKey),
            &SecretString::from(webhook_key),
        )
        .await?;
    let before = enabled(&env);

    let events: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({"type": "terminate",
                "worker": {"employee_id": id, "termination_date": LAST_DAY}})
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({ "events": events }))?;
    let signature = sign(webhook_key, &body, Timestamp::now());
    let mut event = ApiEvent::post(
        "POST /connections/{id}/hr-events",
        format!("/connections/{}/hr-events", env.connection),
    )
    .header("content-type", "application/json");
    for (name, value) in signature.headers() {
        event = event.header(name, value);
    }
    let answer = event
        .body(&body)
        .send(&webhook_routes(env.services.clone()))
        .await?;
    answer.assert_hides(&[webhook_key]);
    assert_eq!(answer.status, 202, "{}", answer.body);
    let json = answer.json()?;
    assert_eq!(json["status"], "held_for_approval", "{json}");
    assert_eq!(json["workers"], ids.len());
    let reason = json["reason"].as_str().ok_or("no reason")?;
    assert!(reason.contains("managed users"), "{reason}");
    let approval_id = json["approval_id"].as_str().ok_or("no approval id")?;

    assert!(queued(&env).await?.is_empty(), "nothing of it is queued");
    assert_eq!(enabled(&env), before, "nobody was disabled");
    let pending = guard::list(env.services.objects.as_ref(), &env.connection).await?;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].id, approval_id);
    assert_eq!(pending[0].origin, Origin::Webhook);
    assert_eq!(pending[0].status, ApprovalStatus::Pending);
    assert_eq!(pending[0].reason, reason);
    assert!(
        pending[0].effect.disables > widest,
        "{:?}",
        pending[0].effect
    );

    // Two people approve at once: one of them releases the change.
    let (a, b) = futures::join!(
        guard::approve(&env.services, &env.connection, approval_id, "admin-a"),
        guard::approve(&env.services, &env.connection, approval_id, "admin-b"),
    );
    let (a, b) = (a?, b?);
    assert!(
        a.released != b.released,
        "exactly one releases: {a:?} {b:?}"
    );
    let items = queued(&env).await?;
    let workers: usize = items.iter().map(|i| i.workers.len()).sum();
    assert_eq!(workers, ids.len(), "the whole delivery, once");
    assert!(
        items
            .iter()
            .all(|i| i.approval.as_deref() == Some(approval_id))
    );
    // A later approval does nothing.
    let again = guard::approve(&env.services, &env.connection, approval_id, "admin-c").await?;
    assert!(!again.released);
    assert!(matches!(
        again.approval.status,
        ApprovalStatus::Approved { .. }
    ));
    assert!(queued(&env).await?.is_empty(), "released once only");

    // The released work passes the guard and the budget: everyone with an account is disabled.
    let report = provision(&env.services, &items).await?;
    assert!(report.held.is_none(), "{report:?}");
    let still: Vec<String> = enabled(&env)
        .into_iter()
        .filter(|id| ids.contains(id))
        .collect();
    assert!(still.is_empty(), "still enabled: {still:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_export_moving_a_department_out_of_its_groups_is_held() -> TestResult {
    let env = converged().await?;
    let event = serde_json::json!({ "connection_id": env.connection.as_str() });
    // The export as it is passes and is queued.
    let scheduled = schedule(&env.services, event.clone()).await?;
    assert!(scheduled.held.is_none(), "{scheduled:?}");
    assert!(scheduled.messages > 0);
    assert!(!queued(&env).await?.is_empty());

    // A filter gone wrong: every engineer's department is lost. Nobody is disabled or loses a
    // license, but they all leave the Engineering groups.
    let csv = company(|row| {
        if row[DEPARTMENT] == "Engineering" {
            row[DEPARTMENT] = "Unassigned".to_owned();
        }
        true
    })?;
    let key = ObjectKey::parse(&format!("connections/{}/hr/workers.csv", env.connection))?;
    env.services
        .objects
        .put(&key, csv.into_bytes(), Condition::Always)
        .await?;
    let scheduled = schedule(&env.services, event).await?;
    let held = scheduled.held.ok_or("the group removals were not held")?;
    assert_eq!(scheduled.messages, 0);
    assert!(queued(&env).await?.is_empty(), "nothing of it is queued");
    let approval = guard::approvals::get(
        env.services.objects.as_ref(),
        &env.connection,
        &held.approval_id,
    )
    .await?
    .ok_or("no approval")?;
    assert_eq!(approval.origin, Origin::Schedule);
    assert!(approval.effect.group_removals > 10, "{:?}", approval.effect);
    assert_eq!(
        (approval.effect.disables, approval.effect.license_removals),
        (0, 0),
        "group removals only: {:?}",
        approval.effect
    );
    assert!(held.reason.contains("group removals"), "{}", held.reason);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_days_of_small_termination_runs_are_stopped_by_the_rolling_budget() -> TestResult {
    let env = warmed().await?;
    // Runs of three leavers every eight hours: each well under the per-run guard (5 users), but
    // nine a day against a budget of 5 disables per 24 hours.
    let mut candidates = enabled(&env);
    candidates.retain(|id| id != "9301");
    let mut applied: Vec<(Timestamp, usize)> = Vec::new();
    let mut held = Vec::new();
    for run in 0..9 {
        let ids: Vec<String> = candidates.drain(..3).collect();
        let before: HashSet<String> = enabled(&env).into_iter().collect();
        let items = leavers(&env, &format!("d-day-{run}"), &ids)?;
        let report = provision(&env.services, &items).await?;
        assert!(
            report.refused.is_none(),
            "the per-run guard passes: {report:?}"
        );
        let after: HashSet<String> = enabled(&env).into_iter().collect();
        applied.push((env.services.clock.now(), before.difference(&after).count()));
        held.extend(report.held);
        env.services.clock.advance(SignedDuration::from_hours(8));
    }
    // In no 24 hours were more than 5 people disabled.
    for (at, _) in &applied {
        let window: usize = applied
            .iter()
            .filter(|(t, _)| {
                t <= at
                    && *t
                        > at.saturating_sub(SignedDuration::from_hours(24))
                            .unwrap_or(*at)
            })
            .map(|(_, n)| n)
            .sum();
        assert!(
            window <= 5,
            "{window} disabled in the 24 hours to {at}: {applied:?}"
        );
    }
    let total: usize = applied.iter().map(|(_, n)| n).sum();
    assert!(
        total >= 10,
        "the budget comes back as the window rolls: {applied:?}"
    );
    assert!(!held.is_empty());
    let approvals = guard::list(env.services.objects.as_ref(), &env.connection).await?;
    let held_workers: usize = approvals
        .iter()
        .flat_map(|a| &a.items)
        .map(|i| i.workers.len())
        .sum();
    assert_eq!(
        held_workers,
        27 - total,
        "what was not applied waits for approval"
    );
    for approval in &approvals {
        assert_eq!(approval.origin, Origin::Provision);
        assert!(
            approval.reason.contains("rolling 24-hour budget"),
            "{}",
            approval.reason
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_drawing_from_the_budget_at_once_never_overdraw_it() -> TestResult {
    let env = warmed().await?;
    let mut candidates = enabled(&env);
    candidates.retain(|id| id != "9301");
    let first: Vec<String> = candidates.drain(..4).collect();
    let second: Vec<String> = candidates.drain(..4).collect();
    let before = enabled(&env).len();
    let (a, b) = (
        leavers(&env, "d-lane-a", &first)?,
        leavers(&env, "d-lane-b", &second)?,
    );
    // Each run of four passes the per-run guard; together they are over the budget of five.
    let (ran_a, ran_b) = futures::join!(provision(&env.services, &a), provision(&env.services, &b));
    let (ran_a, ran_b) = (ran_a?, ran_b?);
    let disabled = before - enabled(&env).len();
    assert_eq!(disabled, 5, "exactly the budget: {ran_a:?} {ran_b:?}");
    let approvals = guard::list(env.services.objects.as_ref(), &env.connection).await?;
    let held: usize = approvals
        .iter()
        .flat_map(|a| &a.items)
        .map(|i| i.workers.len())
        .sum();
    assert_eq!(held, 3, "the rest waits for approval: {approvals:?}");
    Ok(())
}
