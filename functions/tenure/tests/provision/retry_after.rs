//! Microsoft asking to wait past the run's stop time: the wait is not waited for, the actions
//! it held (and all not started) go to a continuation, the run is not a failure; once the
//! tenant's write window opens again the continuations finish everybody, each change made and
//! recorded once.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use tenure::apply::{AuditRecord, Outcome};
use tenure::queue::WorkItem;
use tenure::service::provision::{Deadline, handle_sqs, provision, provision_until};
use tenure_emulator::RateLimits;

use super::helpers::{Env, Error, TestResult, failures, items_event, new_hire, queued_event};

pub(super) const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:tenure-work.fifo";

/// A write window that closes after `writes` writes for an hour: Graph's `Retry-After` then
/// names about 3,600 s, far past any stop time in these tests.
fn window_closing_after(writes: u32) -> RateLimits {
    RateLimits {
        writes,
        write_window: Duration::from_secs(3_600),
        ..RateLimits::default()
    }
}

/// A deadline a minute away whose stop time is half a minute away: far before the wait
/// Microsoft asks for, far after the runs here take.
pub(super) fn a_minute_away() -> Deadline {
    Deadline::at(
        Instant::now() + Duration::from_secs(60),
        Duration::from_secs(30),
    )
}

/// New hires `9700`, `9701`, … as the messages of one delivery, one per lane.
pub(super) fn hires(
    env: &Env,
    delivery: &str,
    count: usize,
) -> Result<(Vec<String>, Vec<WorkItem>), Error> {
    let ids: Vec<String> = (0..count).map(|n| format!("97{n:02}")).collect();
    let workers = ids
        .iter()
        .map(|id| new_hire(id))
        .collect::<Result<Vec<_>, _>>()?;
    let items = WorkItem::split(&env.connection, delivery, workers)?;
    Ok((ids, items))
}

/// Each of `ids` has one account and every change made for them is recorded once: no record
/// twice, and every worker (alike but for the id) with the same changes recorded as the others,
/// whether its actions were applied in one run or split over a run and its continuation.
pub(super) async fn each_made_and_recorded_once(env: &Env, ids: &[String]) -> TestResult {
    let state = env.tenant.state();
    for id in ids {
        let accounts = state
            .users
            .iter()
            .filter(|u| u.employee_id.as_deref() == Some(id.as_str()))
            .count();
        assert_eq!(accounts, 1, "{id}'s accounts");
    }
    let records: Vec<AuditRecord> = env
        .audit_records()
        .await?
        .into_iter()
        .map(|(_, record)| record)
        .collect();
    let mut seen = HashSet::new();
    let mut kinds: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for record in &records {
        let change = (
            &record.employee_id,
            &record.action,
            record.after.to_string(),
        );
        assert!(seen.insert(change), "recorded twice: {record:?}");
        assert!(!record.interrupted, "{record:?}");
        kinds
            .entry(&record.employee_id)
            .or_default()
            .push(&record.action);
    }
    for actions in kinds.values_mut() {
        actions.sort_unstable();
    }
    let first = kinds
        .get(ids[0].as_str())
        .ok_or("no record of the first hire")?;
    assert!(first.contains(&"create_user"), "{first:?}");
    assert!(
        first.len() > 1,
        "a hire is more than its account: {first:?}"
    );
    for id in ids {
        assert_eq!(
            kinds.get(id.as_str()),
            Some(first),
            "{id}'s recorded changes"
        );
    }
    Ok(())
}

/// The run under a deadline: what Microsoft would have it wait for past the stop time is
/// postponed (not failed), nothing more is started, and the workers not finished — partly
/// applied ones too — are its continuations; the continuations, once the window opens, finish
/// them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_past_the_stop_time_postpones_the_rest_to_a_continuation() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    let (ids, items) = hires(&env, "d-window", 12)?;
    // The first slice (4 workers in the tests' options) makes its 4 accounts, then the window
    // closes after 2 more writes: some of the slice's workers are left partly applied.
    env.tenant.set_limits(window_closing_after(6));

    let report = provision_until(&env.services, &items, a_minute_away()).await?;

    let applied = report.applied.ok_or("nothing applied")?;
    let (done, _, failed, skipped) = applied.counts();
    assert_eq!((failed, skipped), (0, 0), "{applied:?}");
    assert!(done >= 4, "the accounts of the first slice: {applied:?}");
    let postponed: HashSet<&str> = applied.postponed_workers().into_iter().collect();
    assert!(!postponed.is_empty(), "nothing was postponed: {applied:?}");
    let partly: Vec<&str> = postponed
        .iter()
        .copied()
        .filter(|id| {
            applied
                .outcomes
                .iter()
                .any(|o| o.employee_id == *id && o.outcome == Outcome::Applied)
        })
        .collect();
    assert!(
        !partly.is_empty(),
        "no worker was partly applied: {applied:?}"
    );
    let continued: HashSet<String> = report
        .continuations
        .iter()
        .flat_map(|c| &c.workers)
        .map(|w| w.worker.employee_id.as_str().to_owned())
        .collect();
    for id in &ids {
        let finished = applied
            .outcomes
            .iter()
            .any(|o| o.employee_id == *id && o.outcome == Outcome::Applied)
            && !postponed.contains(id.as_str());
        assert!(
            finished != continued.contains(id),
            "{id}: finished {finished}, continued {}",
            continued.contains(id)
        );
    }
    for id in &partly {
        assert!(env.user(id).is_some(), "{id}'s account was made");
    }

    // The window opens; the continuations finish everybody, with no deadline.
    env.tenant.set_limits(RateLimits::default());
    let rest = provision(&env.services, &report.continuations).await?;
    assert!(rest.continuations.is_empty());
    let rest = rest.applied.ok_or("the continuations applied nothing")?;
    assert!(rest.is_complete(), "{rest:?}");
    each_made_and_recorded_once(&env, &ids).await
}

/// Black-box, as Lambda runs it: `handle_sqs` under a short deadline against a tenant whose
/// write window closes mid-run reports no failed message and queues continuations (no dead
/// letter); handled after the window opens, the continuations finish everybody; the original
/// messages handled again change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_write_window_neither_fails_nor_dead_letters_the_batch() -> TestResult {
    let env = Env::aws().await?;
    let (ids, items) = hires(&env, "d-closed", 12)?;
    let event = items_event(ARN, &items)?;
    env.tenant.set_limits(window_closing_after(6));

    let response = handle_sqs(&env.services, event.clone(), a_minute_away()).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    let made = ids.iter().filter(|id| env.user(id).is_some()).count();
    assert!(made > 0 && made < ids.len(), "{made} accounts made");
    let continuations = env.queued().await?;
    assert!(!continuations.is_empty(), "nothing was continued");
    assert!(env.dead_letters().await?.is_empty());

    // The window opens: the continuations (and any of theirs) finish the work.
    env.tenant.set_limits(RateLimits::default());
    let mut queued = continuations;
    let mut rounds = 0;
    while !queued.is_empty() {
        rounds += 1;
        assert!(rounds <= 3, "the continuations do not end");
        let event = queued_event(ARN, &format!("c{rounds}"), &queued)?;
        let response = handle_sqs(&env.services, event, a_minute_away()).await;
        assert!(failures(&response).is_empty(), "{response:?}");
        queued = env.queued().await?;
    }
    each_made_and_recorded_once(&env, &ids).await?;

    // Planned again, the same messages change nothing and record nothing.
    let before = env.audit_records().await?.len();
    let response = handle_sqs(&env.services, event, Deadline::none()).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    assert_eq!(env.audit_records().await?.len(), before);
    assert!(env.dead_letters().await?.is_empty());
    each_made_and_recorded_once(&env, &ids).await
}
