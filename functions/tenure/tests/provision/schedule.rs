//! `schedule`: EventBridge Scheduler's payload and EventBridge's envelope, the HR export in S3,
//! the work fanned out over the FIFO queue by lane.

use std::collections::HashSet;

use tenure::queue::{PER_TENANT_LANES, lane_of};
use tenure::service::schedule::{SCHEDULED_BATCH, ScheduleError, handle_event, schedule};
use tenure::store::objects::{Condition, ObjectKey};

use super::helpers::{Env, TestResult};

async fn upload(env: &Env, name: &str, sample: &str) -> TestResult {
    let key = ObjectKey::parse(&format!("connections/{}/hr/{name}", env.connection))?;
    let bytes = crate::support::samples::read(sample)?;
    env.services
        .objects
        .put(&key, bytes, Condition::Always)
        .await?;
    Ok(())
}

async fn fanned_out_by_lane(env: &Env, event: serde_json::Value) -> TestResult {
    let scheduled = schedule(&env.services, event).await?;
    assert!(scheduled.delivery_id.starts_with("scheduled-"));
    assert!(scheduled.workers > 0);
    let queued = env.queued().await?;
    assert_eq!(queued.len(), scheduled.messages);
    let mut lanes = HashSet::new();
    let mut workers = 0;
    for (group, item) in &queued {
        assert_eq!(item.delivery_id, scheduled.delivery_id);
        assert_eq!(item.connection_id, env.connection);
        assert!(item.workers.len() <= SCHEDULED_BATCH);
        let lane = item.lane();
        assert_eq!(
            group,
            &format!("{}/{lane}", env.connection),
            "message group"
        );
        for w in &item.workers {
            assert_eq!(lane_of(w.worker.employee_id.as_str()), lane);
        }
        lanes.insert(lane);
        workers += item.workers.len();
    }
    assert_eq!(workers, scheduled.workers);
    assert_eq!(
        lanes.len(),
        PER_TENANT_LANES as usize,
        "the sample company fills every lane"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedulers_payload_fans_the_csv_export_out_by_lane() -> TestResult {
    let env = Env::aws().await?;
    upload(&env, "workers.csv", "company.csv").await?;
    fanned_out_by_lane(
        &env,
        serde_json::json!({ "connection_id": env.connection.to_string() }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eventbridge_event_fans_the_json_export_out_by_lane() -> TestResult {
    let env = Env::aws().await?;
    upload(&env, "workers.json", "company.json").await?;
    let event = serde_json::json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": "2026-01-01T06:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/tenure-sync"],
        "detail": { "connection_id": env.connection.to_string() }
    });
    fanned_out_by_lane(&env, event).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_events_and_missing_exports_are_refused_clearly() -> TestResult {
    let env = Env::aws().await?;
    let error = schedule(&env.services, serde_json::json!({ "connection": "x" }))
        .await
        .err()
        .ok_or("accepted an event without connection_id")?;
    assert!(matches!(error, ScheduleError::BadEvent(_)), "{error}");
    assert!(error.to_string().contains("connection_id"), "{error}");

    let error = schedule(
        &env.services,
        serde_json::json!({ "detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": {} }),
    )
    .await
    .err()
    .ok_or("accepted an envelope without connection_id")?;
    assert!(error.to_string().contains("EventBridge event"), "{error}");

    let error = schedule(
        &env.services,
        serde_json::json!({ "connection_id": "ghost" }),
    )
    .await
    .err()
    .ok_or("accepted an unknown connection")?;
    assert!(
        error
            .to_string()
            .contains("connection ghost, which does not exist"),
        "{error}"
    );

    let error = schedule(
        &env.services,
        serde_json::json!({ "connection_id": env.connection.to_string() }),
    )
    .await
    .err()
    .ok_or("accepted a connection without an export")?;
    let text = error.to_string();
    assert!(
        text.contains("has no HR export") && text.contains("hr/workers.csv"),
        "{text}"
    );
    assert!(env.queued().await?.is_empty(), "nothing queued");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployment_wide_schedule_reconciles_every_connection_with_an_export() -> TestResult {
    let env = Env::local(std::time::Duration::from_secs(60)).await?;
    upload(&env, "workers.csv", "company.csv").await?;
    let mut other = env.connection().await?;
    other.id = tenure::store::connections::ConnectionId::parse("no-export-yet")?;
    env.services.connections.put_new(&other).await?;

    let answer = handle_event(&env.services, serde_json::json!({ "connections": "all" })).await?;
    let scheduled = answer["scheduled"].as_array().ok_or("no scheduled list")?;
    assert_eq!(scheduled.len(), 1, "{answer}");
    assert_eq!(
        scheduled[0]["connection"],
        env.connection.as_str(),
        "{answer}"
    );
    assert!(
        scheduled[0]["workers"].as_u64().is_some_and(|n| n > 0),
        "{answer}"
    );
    assert_eq!(
        answer["skipped"][0]["connection"], "no-export-yet",
        "{answer}"
    );
    let reason = answer["skipped"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("has no HR export"), "{answer}");
    assert_eq!(answer["failed"], serde_json::json!([]), "{answer}");
    let queued = env
        .services
        .queue
        .receive(100, std::time::Duration::from_millis(100))
        .await?;
    assert!(!queued.is_empty(), "the connection's work is queued");

    // One connection's event still goes to that connection alone.
    let answer = handle_event(
        &env.services,
        serde_json::json!({ "connection_id": env.connection.as_str() }),
    )
    .await?;
    assert_eq!(answer["connection"], env.connection.as_str(), "{answer}");
    Ok(())
}
