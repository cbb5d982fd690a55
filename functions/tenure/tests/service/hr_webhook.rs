//! `hr-webhook` on the AWS stores (moto): the key in Secrets Manager, the work on an SQS queue,
//! the replay cache in S3. Signed deliveries are queued; every refusal has its status and
//! queues nothing; the key never appears in an answer.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use tenure::queue::{WorkItem, WorkQueue};
use tenure::service::Services;
use tenure::service::http::webhook_routes;
use tenure::store::connections::ConnectionId;
use tenure::store::secrets::{SecretKind, SecretName};
use tenure::webhook::signature::{sign_bamboohr, sign_generic};
use tenure::webhook::{Headers, MAX_BODY_BYTES, ObjectReplayCache};
use tenure_test_support::services::ServicesBuilder;

use super::helpers::{Answer, ApiEvent, Error, TestResult, unique_id};

const ROUTE: &str = "POST /connections/{id}/hr-events";

/// One connection with a webhook key, on stores in moto that every router built here shares.
struct Deployment {
    connection: ConnectionId,
    key: String,
    services: Services,
    queue: Arc<dyn WorkQueue>,
}

impl Deployment {
    async fn new() -> Result<Self, Error> {
        let services = ServicesBuilder::new()
            .standard_queues()
            .queue_visibility(Duration::from_secs(60))
            .on_moto()
            .await?
            .services;
        let connection = ConnectionId::parse(&unique_id())?;
        let key = format!("whsec-{}", uuid::Uuid::new_v4().simple());
        services
            .secrets
            .put_new(
                &SecretName::for_connection(&connection, SecretKind::WebhookKey),
                &SecretString::from(key.clone()),
            )
            .await?;
        Ok(Self {
            connection,
            key,
            queue: Arc::clone(&services.queue),
            services,
        })
    }

    /// A router as one Lambda instance builds it: its own replay cache over the shared bucket.
    fn router(&self) -> Result<axum::Router, Error> {
        Ok(webhook_routes(Services {
            replay: Arc::new(ObjectReplayCache::new(Arc::clone(&self.services.objects))),
            ..self.services.clone()
        }))
    }

    fn key(&self) -> SecretString {
        SecretString::from(self.key.clone())
    }

    fn path(&self) -> String {
        format!("/connections/{}/hr-events", self.connection)
    }

    /// The event for `body` signed with `headers`.
    fn event(&self, headers: &Headers, body: &[u8]) -> ApiEvent {
        let mut event =
            ApiEvent::post(ROUTE, self.path()).header("content-type", "application/json");
        for name in [
            "X-Tenure-Timestamp",
            "X-Tenure-Signature",
            "X-BambooHR-Timestamp",
            "X-BambooHR-Signature",
        ] {
            if let Some(value) = headers.get(name) {
                event = event.header(name, value);
            }
        }
        event.body(body)
    }

    /// Sends `body` signed (generic format) at `at` with the connection's key.
    async fn deliver(&self, body: &[u8], at: Timestamp) -> Result<Answer, Error> {
        let answer = self
            .event(&sign_generic(body, &self.key(), at), body)
            .send(&self.router()?)
            .await?;
        answer.assert_hides(&[&self.key]);
        Ok(answer)
    }

    /// Everything on the queue now.
    async fn queued(&self) -> Result<Vec<WorkItem>, Error> {
        let mut items = Vec::new();
        for received in self.queue.receive(10, Duration::ZERO).await? {
            items.push(received.item?);
        }
        Ok(items)
    }
}

/// Workers on the queue, over every message (a delivery is one message per lane it uses).
fn queued_workers(items: &[tenure::queue::WorkItem]) -> usize {
    items.iter().map(|i| i.workers.len()).sum()
}

fn sample(name: &str) -> Result<Vec<u8>, Error> {
    crate::support::samples::read(&format!("webhooks/{name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_delivery_is_answered_202_and_its_workers_queued() -> TestResult {
    let d = Deployment::new().await?;
    let answer = d
        .deliver(&sample("generic.json")?, Timestamp::now())
        .await?;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let json = answer.json()?;
    assert_eq!(json["workers"], 2);
    let delivery_id = json["delivery_id"].as_str().ok_or("no delivery_id")?;

    // One message per lane the workers fall in (lanes keep each worker's events in order).
    let items = d.queued().await?;
    assert!(!items.is_empty());
    for item in &items {
        assert_eq!(item.connection_id, d.connection);
        assert_eq!(item.delivery_id, delivery_id);
    }
    let mut ids: Vec<_> = items
        .iter()
        .flat_map(|i| &i.workers)
        .map(|w| w.worker.employee_id.as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["1042", "2001"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bamboohr_delivery_is_accepted() -> TestResult {
    let d = Deployment::new().await?;
    let body = sample("bamboohr.json")?;
    let answer = d
        .event(&sign_bamboohr(&body, &d.key(), Timestamp::now()), &body)
        .send(&d.router()?)
        .await?;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.json()?["workers"], 2);
    assert_eq!(queued_workers(&d.queued().await?), 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base64_encoded_body_verifies() -> TestResult {
    let d = Deployment::new().await?;
    let body = sample("generic.json")?;
    let answer = d
        .event(&sign_generic(&body, &d.key(), Timestamp::now()), &body)
        .base64()
        .send(&d.router()?)
        .await?;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(queued_workers(&d.queued().await?), 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_a_stale_timestamp_or_no_signature_is_401_and_queues_nothing() -> TestResult
{
    let d = Deployment::new().await?;
    let body = sample("generic.json")?;
    let router = d.router()?;

    let other_key = SecretString::from("whsec-someone-else".to_owned());
    let forged = d
        .event(&sign_generic(&body, &other_key, Timestamp::now()), &body)
        .send(&router)
        .await?;
    assert_eq!(forged.status, 401);
    assert!(
        forged.error()?.contains("signature does not match"),
        "{}",
        forged.body
    );

    let ten_minutes_ago = Timestamp::now() - SignedDuration::from_mins(10);
    let stale = d.deliver(&body, ten_minutes_ago).await?;
    assert_eq!(stale.status, 401);
    assert!(stale.error()?.contains("replay window"), "{}", stale.body);

    let unsigned = ApiEvent::post(ROUTE, d.path())
        .body(&body)
        .send(&router)
        .await?;
    assert_eq!(unsigned.status, 401);
    assert!(
        unsigned.error()?.contains("header is missing"),
        "{}",
        unsigned.body
    );

    for answer in [&forged, &stale, &unsigned] {
        answer.assert_hides(&[&d.key]);
        assert_eq!(answer.header("content-type"), Some("application/json"));
    }
    assert!(d.queued().await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_delivery_through_two_instances_is_a_replay_the_second_time() -> TestResult {
    let d = Deployment::new().await?;
    let body = sample("generic.json")?;
    let headers = sign_generic(&body, &d.key(), Timestamp::now());
    let first = d.event(&headers, &body).send(&d.router()?).await?;
    assert_eq!(first.status, 202, "{}", first.body);
    let second = d.event(&headers, &body).send(&d.router()?).await?;
    assert_eq!(second.status, 401, "{}", second.body);
    assert_eq!(
        second.error()?,
        "this delivery was already accepted (replay)"
    );
    assert_eq!(queued_workers(&d.queued().await?), 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_eight_copies_at_once_through_eight_instances_one_is_queued() -> TestResult {
    let d = Arc::new(Deployment::new().await?);
    let body = sample("generic.json")?;
    let headers = sign_generic(&body, &d.key(), Timestamp::now());
    let mut copies = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let event = d.event(&headers, &body);
        let router = d.router()?;
        copies.spawn(async move { event.send(&router).await });
    }
    let mut statuses = Vec::new();
    while let Some(answer) = copies.join_next().await {
        statuses.push(answer??.status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [202, 401, 401, 401, 401, 401, 401, 401]);
    assert_eq!(queued_workers(&d.queued().await?), 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_413() -> TestResult {
    let d = Deployment::new().await?;
    // Just over the limit: read, and refused by the webhook with its size.
    let just_over = vec![b' '; MAX_BODY_BYTES + 1];
    let answer = d.deliver(&just_over, Timestamp::now()).await?;
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.error()?,
        format!(
            "the body is {} bytes, more than the {MAX_BODY_BYTES} byte limit",
            MAX_BODY_BYTES + 1
        )
    );
    // Far over: refused while reading, in the same shape.
    let far_over = vec![b' '; 3 * MAX_BODY_BYTES];
    let answer = d.deliver(&far_over, Timestamp::now()).await?;
    assert_eq!(answer.status, 413);
    assert!(answer.error()?.contains("byte limit"), "{}", answer.body);
    assert!(d.queued().await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_payload_is_400_naming_the_field() -> TestResult {
    let d = Deployment::new().await?;
    let answer = d
        .deliver(
            br#"{"events":[{"type":"hire","worker":{}}]}"#,
            Timestamp::now(),
        )
        .await?;
    assert_eq!(answer.status, 400);
    assert!(
        answer.error()?.contains("$.events[0].type"),
        "{}",
        answer.body
    );
    assert!(d.queued().await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_invalid_connection_is_404() -> TestResult {
    let d = Deployment::new().await?;
    let body = sample("generic.json")?;
    let headers = sign_generic(&body, &d.key(), Timestamp::now());
    let router = d.router()?;

    let stranger = unique_id();
    let unknown = ApiEvent::post(ROUTE, format!("/connections/{stranger}/hr-events"))
        .header(
            "x-tenure-timestamp",
            headers.get("X-Tenure-Timestamp").unwrap_or_default(),
        )
        .header(
            "x-tenure-signature",
            headers.get("X-Tenure-Signature").unwrap_or_default(),
        )
        .body(&body);
    let answer = unknown.send(&router).await?;
    assert_eq!(answer.status, 404);
    assert!(answer.error()?.contains(&stranger), "{}", answer.body);
    assert!(
        answer.error()?.contains("no webhook key"),
        "{}",
        answer.body
    );

    let invalid = ApiEvent::post(ROUTE, "/connections/Not_An_Id/hr-events")
        .body(&body)
        .send(&router)
        .await?;
    assert_eq!(invalid.status, 404);
    assert!(
        invalid.error()?.contains("invalid connection id"),
        "{}",
        invalid.body
    );
    assert!(d.queued().await?.is_empty());
    Ok(())
}
