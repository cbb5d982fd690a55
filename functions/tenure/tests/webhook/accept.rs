//! Whole deliveries: the right workers queued, or a refusal with its status and nothing queued.

use jiff::SignedDuration;
use tenure::webhook::signature::{sign_bamboohr, sign_generic};
use tenure::webhook::{MAX_BODY_BYTES, WebhookError};
use tenure::worker::EmploymentStatus;

use super::helpers::{Endpoint, TestResult, now, sample};

#[tokio::test]
async fn a_generic_delivery_queues_its_workers() -> TestResult {
    let endpoint = Endpoint::new();
    let body = sample("generic.json")?;
    let accepted = endpoint
        .post(
            &sign_generic(&body, &super::helpers::key(), now()),
            &body,
            now(),
        )
        .await?;
    assert_eq!((accepted.status(), accepted.workers), (202, 2));

    let items = endpoint.queued().await?;
    assert_eq!(items.len(), accepted.messages.len());
    for item in &items {
        assert_eq!(
            (item.connection_id.as_str(), item.delivery_id.as_str()),
            ("acme", accepted.delivery_id.as_str())
        );
    }
    let workers = Endpoint::in_payload_order(&items);
    let ids: Vec<_> = workers
        .iter()
        .map(|w| (w.source.as_str(), w.worker.employee_id.as_str()))
        .collect();
    assert_eq!(ids, [("webhook:0", "2001"), ("webhook:1", "1042")]);
    assert_eq!(
        workers[0].worker.employment_status,
        EmploymentStatus::Active
    );
    // A terminate event that does not say its status is a termination.
    assert_eq!(
        workers[1].worker.employment_status,
        EmploymentStatus::Terminated
    );
    Ok(())
}

#[tokio::test]
async fn a_bamboohr_delivery_queues_its_workers() -> TestResult {
    let endpoint = Endpoint::new();
    let body = sample("bamboohr.json")?;
    let accepted = endpoint
        .post(
            &sign_bamboohr(&body, &super::helpers::key(), now()),
            &body,
            now(),
        )
        .await?;
    assert_eq!(accepted.workers, 2);

    let queued = Endpoint::in_payload_order(&endpoint.queued().await?);
    let workers: Vec<_> = queued.iter().map(|w| &w.worker).collect();
    let grace = workers[0];
    assert_eq!(grace.employee_id.as_str(), "3001");
    assert_eq!(grace.job_title.as_deref(), Some("Rear Admiral"));
    assert_eq!(grace.employment_type.as_deref(), Some("Full-Time"));
    assert_eq!(
        grace.hire_date.map(|d| d.to_string()).as_deref(),
        Some("2026-12-07")
    );
    assert_eq!(grace.termination_date, None);
    assert_eq!(grace.custom, [("Shirt Size".to_owned(), "M".to_owned())]);
    let alan = workers[1];
    assert_eq!(alan.employee_id.as_str(), "3002");
    assert_eq!(alan.employment_status, EmploymentStatus::Terminated);
    Ok(())
}

/// Posts a refused delivery and checks its status and that the queue stayed empty.
async fn refused(
    endpoint: &Endpoint,
    headers: &tenure::webhook::Headers,
    body: &[u8],
    status: u16,
) -> Result<WebhookError, super::helpers::Error> {
    let error = endpoint
        .post(headers, body, now())
        .await
        .err()
        .ok_or("accepted")?;
    assert_eq!(error.status(), status, "{error}");
    assert!(
        endpoint.queued().await?.is_empty(),
        "something was queued after: {error}"
    );
    Ok(error)
}

#[tokio::test]
async fn a_bad_signature_is_401_and_queues_nothing() -> TestResult {
    let endpoint = Endpoint::new();
    let body = sample("generic.json")?;
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let error = refused(
        &endpoint,
        &sign_generic(&body, &super::helpers::key(), now()),
        &tampered,
        401,
    )
    .await?;
    assert!(matches!(error, WebhookError::BadSignature));
    Ok(())
}

#[tokio::test]
async fn a_stale_or_future_timestamp_is_401_and_queues_nothing() -> TestResult {
    let endpoint = Endpoint::new();
    let body = sample("generic.json")?;
    let key = super::helpers::key();
    let stale = now().checked_sub(SignedDuration::from_mins(6))?;
    let error = refused(&endpoint, &sign_generic(&body, &key, stale), &body, 401).await?;
    assert!(matches!(error, WebhookError::Stale { .. }), "{error}");
    let future = now().checked_add(SignedDuration::from_mins(6))?;
    let error = refused(
        &endpoint,
        &sign_bamboohr(&sample("bamboohr.json")?, &key, future),
        &sample("bamboohr.json")?,
        401,
    )
    .await?;
    assert!(matches!(error, WebhookError::Future { .. }), "{error}");
    Ok(())
}

#[tokio::test]
async fn the_same_delivery_twice_is_a_replay() -> TestResult {
    let endpoint = Endpoint::new();
    let body = sample("generic.json")?;
    let headers = sign_generic(&body, &super::helpers::key(), now());
    endpoint.post(&headers, &body, now()).await?;
    assert_eq!(
        Endpoint::in_payload_order(&endpoint.queued().await?).len(),
        2
    );
    let error = refused(&endpoint, &headers, &body, 401).await?;
    assert!(matches!(error, WebhookError::Replay), "{error}");
    // A new delivery of the same content (a new timestamp) is a new delivery.
    let later = now().checked_add(SignedDuration::from_secs(1))?;
    endpoint
        .post(
            &sign_generic(&body, &super::helpers::key(), later),
            &body,
            now(),
        )
        .await?;
    assert_eq!(
        Endpoint::in_payload_order(&endpoint.queued().await?).len(),
        2
    );
    Ok(())
}

#[tokio::test]
async fn an_oversized_body_is_413_and_queues_nothing() -> TestResult {
    let endpoint = Endpoint::new();
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    let error = refused(
        &endpoint,
        &sign_generic(&body, &super::helpers::key(), now()),
        &body,
        413,
    )
    .await?;
    assert!(matches!(error, WebhookError::TooLarge { .. }), "{error}");
    Ok(())
}

#[tokio::test]
async fn a_malformed_payload_is_400_naming_the_path() -> TestResult {
    let endpoint = Endpoint::new();
    let key = super::helpers::key();
    let cases: [(&[u8], bool, &str, &str); 5] = [
        (b"{\"events\": [", false, "$", "not JSON"),
        (br#"{"events": {}}"#, false, "$.events", "expected an array"),
        (br#"{"events":[{"type":"upsert","worker":{"employment_status":"active"}}]}"#, false, "$.events[0].worker", "employee_id is missing"),
        (br#"{"events":[{"type":"upsert","worker":{"employee_id":"1","employment_status":"active"}},{"type":"upsert","worker":{"employee_id":"2","employment_status":"active","hire_date":"2026-13-01"}}]}"#, false, "$.events[1].worker", "hire_date"),
        (br#"{"employees":[{"fields":{"First Name":"X"}}]}"#, true, "$.employees[0].id", "employee id is missing"),
    ];
    for (body, bamboo, path, words) in cases {
        let headers = if bamboo {
            sign_bamboohr(body, &key, now())
        } else {
            sign_generic(body, &key, now())
        };
        let error = refused(&endpoint, &headers, body, 400).await?;
        match &error {
            WebhookError::Malformed { path: at, message } => {
                assert_eq!(at, path, "{error}");
                assert!(message.contains(words), "{error}");
            }
            other => panic!("expected a malformed payload, got {other}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_large_delivery_spans_several_messages() -> TestResult {
    let endpoint = Endpoint::new();
    let events: Vec<String> = (0..3000)
        .map(|i| {
            format!(
                r#"{{"type":"upsert","worker":{{"employee_id":"{}","first_name":"Worker","last_name":"Number {i}","job_title":"Analyst","employment_status":"active","hire_date":"2026-01-05"}}}}"#,
                10_000 + i
            )
        })
        .collect();
    let body = format!(r#"{{"events":[{}]}}"#, events.join(","));
    assert!(body.len() < MAX_BODY_BYTES);
    let accepted = endpoint
        .post(
            &sign_generic(body.as_bytes(), &super::helpers::key(), now()),
            body.as_bytes(),
            now(),
        )
        .await?;
    assert!(
        accepted.messages.len() > 1,
        "{} messages",
        accepted.messages.len()
    );
    let items = endpoint.queued().await?;
    for item in &items {
        assert!(item.to_json()?.len() <= tenure::queue::MAX_MESSAGE_BYTES);
    }
    let sources: Vec<String> = Endpoint::in_payload_order(&items)
        .into_iter()
        .map(|w| w.source)
        .collect();
    let expected: Vec<String> = (0..3000).map(|i| format!("webhook:{i}")).collect();
    assert_eq!(sources, expected);
    Ok(())
}

#[tokio::test]
async fn a_queue_failure_is_503_and_the_retry_gets_in() -> TestResult {
    let endpoint = Endpoint::new();
    let body = sample("generic.json")?;
    let headers = sign_generic(&body, &super::helpers::key(), now());
    // A queue that does not exist on moto: every send fails.
    let config = crate::support::aws::moto_config().await?;
    let missing = tenure::queue::SqsQueue::new(
        &config,
        format!(
            "{}/123456789012/no-such-queue",
            crate::support::moto::shared()?.endpoint()
        ),
    );
    let error = tenure::webhook::accept(
        &endpoint.connection,
        &headers,
        &body,
        &super::helpers::key(),
        now(),
        &endpoint.replay,
        &missing,
        &super::helpers::QueueAll,
    )
    .await
    .err()
    .ok_or("accepted by a missing queue")?;
    assert_eq!(error.status(), 503, "{error}");
    // The sender retries the very same delivery: not a replay, since it was never accepted.
    endpoint.post(&headers, &body, now()).await?;
    assert_eq!(
        Endpoint::in_payload_order(&endpoint.queued().await?).len(),
        2
    );
    Ok(())
}

/// The queued terminate event says it is partial, so provisioning fills the rest from the
/// worker's last known record; the upsert beside it does not.
#[tokio::test]
async fn queued_terminate_events_are_marked_partial() -> TestResult {
    let endpoint = Endpoint::new();
    let body = sample("generic.json")?;
    let headers = sign_generic(&body, &super::helpers::key(), now());
    endpoint.post(&headers, &body, now()).await?;
    let mut partial: Vec<(String, bool)> = endpoint
        .queued()
        .await?
        .into_iter()
        .flat_map(|item| item.workers)
        .map(|w| (w.worker.employee_id.as_str().to_owned(), w.partial))
        .collect();
    partial.sort();
    assert_eq!(
        partial,
        [("1042".to_owned(), true), ("2001".to_owned(), false)]
    );
    Ok(())
}
