//! Microsoft asking to wait past the run's stop time while the run reads the tenant: the read
//! is given up (never taken for an empty tenant), nothing is planned or applied, the directory
//! cache stays the old one whole, and every message goes on whole as a continuation in its own
//! lane (done, not a failed receive, never dead-lettered); once the tenant answers again the
//! continuations finish everybody, each change made and recorded once.

use std::time::Duration;

use tenure::service::provision::{directory_cache_key, handle_sqs, provision, provision_until};
use tenure_emulator::RateLimits;

use super::helpers::{Env, Error, SECRET, TestResult, failures, items_event, queued_event};
use super::retry_after::{ARN, a_minute_away, each_made_and_recorded_once, hires};

/// Graph's resource units spent for an hour: every Graph request is answered `429` with a
/// `Retry-After` of about 3,600 s, far past any stop time here.
fn graph_closed() -> RateLimits {
    RateLimits {
        resource_units: 0,
        window: Duration::from_secs(3_600),
        ..RateLimits::default()
    }
}

/// Exchange's calls spent for an hour (`Rate-Limit-Reset` an hour away); Graph answers.
fn exchange_closed() -> RateLimits {
    RateLimits {
        exchange_requests: 0,
        exchange_window: Duration::from_secs(3_600),
        ..RateLimits::default()
    }
}

/// The connection's directory cache as stored.
async fn cache(env: &Env) -> Result<Vec<u8>, Error> {
    let key = directory_cache_key(&env.connection)?;
    let (bytes, _) = env
        .services
        .objects
        .get(&key)
        .await?
        .ok_or("no directory cache")?;
    Ok(bytes)
}

/// Black-box, as Lambda runs it: a batch whose tenant read Graph throttles for an hour ends
/// with no failed message and no dead letter, nothing applied or recorded, the cache as it
/// was, and each message queued again whole in its lane; handled once Graph answers, the
/// continuations make everybody once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_asked_to_wait_past_the_stop_time_queues_the_run_again_whole() -> TestResult {
    let env = Env::aws().await?;
    provision(&env.services, &[env.hire("d-earlier", "9690")?]).await?;
    let cached = cache(&env).await?;
    let recorded = env.audit_records().await?.len();
    let (ids, items) = hires(&env, "d-unread", 6)?;
    env.tenant.set_limits(graph_closed());

    let response = handle_sqs(&env.services, items_event(ARN, &items)?, a_minute_away()).await;

    assert!(failures(&response).is_empty(), "{response:?}");
    assert!(env.dead_letters().await?.is_empty());
    for id in &ids {
        assert!(env.user(id).is_none(), "{id}'s account was made");
    }
    assert_eq!(
        env.audit_records().await?.len(),
        recorded,
        "nothing recorded"
    );
    assert!(cache(&env).await? == cached, "the directory cache changed");
    let queued = env.queued().await?;
    assert_eq!(queued.len(), items.len(), "{queued:?}");
    for item in &items {
        let (group, continuation) = queued
            .iter()
            .find(|(_, c)| c.workers == item.workers)
            .ok_or("a message was not continued whole")?;
        assert_eq!(*group, item.message_group(), "its lane");
        assert_eq!(continuation.delivery_id, item.delivery_id);
        assert_eq!(continuation.part, item.part);
        assert!(continuation.continues.is_some(), "{continuation:?}");
    }

    // Graph answers again: the continuations finish the run.
    env.tenant.set_limits(RateLimits::default());
    let event = queued_event(ARN, "c", &queued)?;
    let response = handle_sqs(&env.services, event, a_minute_away()).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    assert!(
        env.queued().await?.is_empty(),
        "the continuations did not end"
    );
    assert!(env.dead_letters().await?.is_empty());
    each_made_and_recorded_once(&env, &ids).await
}

/// A read given up half-way (Graph's delta read answered, Exchange's mailboxes not) keeps
/// nothing of what it read: the run says why it was postponed, plans nothing, and the cache is
/// the old one, whose delta links the continuation then reads from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_given_up_half_way_keeps_the_old_cache_and_plans_nothing() -> TestResult {
    let env = Env::local(Duration::from_secs(1)).await?;
    provision(&env.services, &[env.hire("d-earlier", "9690")?]).await?;
    let cached = cache(&env).await?;
    let (ids, items) = hires(&env, "d-half", 3)?;
    env.tenant.set_limits(exchange_closed());

    let report = provision_until(&env.services, &items, a_minute_away()).await?;

    let why = report
        .postponed
        .as_deref()
        .ok_or("the run was not postponed")?;
    assert!(why.contains("Exchange"), "{why}");
    assert!(!why.contains(SECRET), "{why}");
    assert!(report.read.is_none(), "{:?}", report.read);
    assert_eq!(report.planned, 0);
    assert!(report.applied.is_none() && report.audit.is_empty());
    assert_eq!(report.continuations.len(), items.len());
    assert!(cache(&env).await? == cached, "the directory cache changed");
    for id in &ids {
        assert!(env.user(id).is_none(), "{id}'s account was made");
    }

    env.tenant.set_limits(RateLimits::default());
    let rest = provision(&env.services, &report.continuations).await?;
    assert!(rest.postponed.is_none() && rest.continuations.is_empty());
    let applied = rest.applied.ok_or("the continuations applied nothing")?;
    assert!(applied.is_complete(), "{applied:?}");
    each_made_and_recorded_once(&env, &ids).await
}
