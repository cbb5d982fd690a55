//! A connection fed by webhooks keeps each worker's last known record; a leaver's is removed by
//! the scheduled sync once their termination date is further back than the connection's
//! retention (`known_retention_days`, default 90), with the clock set by the test.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tenure::clock::Clock;
use tenure::queue::WorkItem;
use tenure::service::provision::{known_record_key, provision};
use tenure::service::schedule::schedule;
use tenure::service::settings::{KNOWN_RETENTION_DAYS, MappingSettings};
use tenure::store::objects::Condition;

use super::helpers::{Env, TestResult, worker_row};

const DANA: &str = "9801";
const OMAR: &str = "9802";

async fn webhook(env: &Env, delivery: &str, row: &str) -> TestResult {
    let items = WorkItem::split(&env.connection, delivery, vec![worker_row(row)?])?;
    provision(&env.services, &items).await?;
    Ok(())
}

async fn known(env: &Env, employee_id: &str) -> Result<bool, super::helpers::Error> {
    let key = known_record_key(&env.connection, employee_id);
    Ok(env.services.objects.get(&key).await?.is_some())
}

async fn daily_schedule(env: &Env) -> Result<usize, super::helpers::Error> {
    let scheduled = schedule(
        &env.services,
        serde_json::json!({"connection_id": env.connection.as_str()}),
    )
    .await?;
    Ok(scheduled.workers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leavers_known_record_is_removed_once_past_the_retention_and_not_before() -> TestResult {
    let mut env = Env::local(Duration::from_millis(500)).await?;
    env.services.clock = Clock::manual("2026-12-03T18:00:00Z".parse::<Timestamp>()?);
    let (mut settings, version) =
        MappingSettings::load(env.services.objects.as_ref(), &env.connection).await?;
    assert_eq!(settings.known_retention_days, KNOWN_RETENTION_DAYS);
    assert_eq!(KNOWN_RETENTION_DAYS, 90, "the documented default");
    settings.known_retention_days = 30;
    settings
        .save(
            env.services.objects.as_ref(),
            &env.connection,
            Condition::Matches(version),
        )
        .await?;

    // Dana's last day is Monday 7 December; Omar stays.
    webhook(&env, "d-dana", &format!("{DANA},Dana,Lastday,,,dana.{DANA}@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,,terminated,,employee,2020-01-06,2026-12-07,America/Los_Angeles,")).await?;
    webhook(&env, "d-omar", &format!("{OMAR},Omar,Stays,,,omar.{OMAR}@example.net,Analyst,Engineering,Products,CC-200,Seattle,US,,active,,employee,2020-01-06,,America/Los_Angeles,")).await?;
    assert!(known(&env, DANA).await? && known(&env, OMAR).await?);

    // 6 January 2027 is the 30th day after her last day: still kept, still reconciled.
    env.services.clock = Clock::manual("2027-01-06T18:00:00Z".parse::<Timestamp>()?);
    assert_eq!(daily_schedule(&env).await?, 2);
    assert!(known(&env, DANA).await?, "kept through the retention");

    env.services.clock.advance(SignedDuration::from_hours(24));
    assert_eq!(daily_schedule(&env).await?, 1, "only Omar is reconciled");
    assert!(!known(&env, DANA).await?, "removed after the retention");
    assert!(known(&env, OMAR).await?, "a current worker's record stays");
    Ok(())
}

#[test]
fn settings_written_before_the_retention_existed_get_the_default() -> TestResult {
    let old = serde_json::json!({
        "format": 1,
        "plugin": "standard",
        "config": {},
    });
    let settings: MappingSettings = serde_json::from_value(old)?;
    assert_eq!(settings.known_retention_days, 90);
    Ok(())
}
