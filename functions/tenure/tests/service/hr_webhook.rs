//! `hr-webhook` on the AWS stores (moto): the key in Secrets Manager, the work on an SQS queue,
//! the replay cache in S3. Signed deliveries are queued; every refusal has its status and
//! queues nothing; the key never appears in an answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use tenure::queue::{WorkItem, WorkQueue};
use tenure::service::Services;
use tenure::service::http::webhook_routes;
use tenure::store::connections::ConnectionId;
use tenure::store::secrets::{SecretError, SecretKind, SecretName, SecretStore};
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

/// The event for `body` with `headers` to connection `id` (which may not exist).
fn event_to(id: &str, headers: &Headers, body: &[u8]) -> ApiEvent {
    let mut event = ApiEvent::post(ROUTE, format!("/connections/{id}/hr-events"))
        .header("content-type", "application/json");
    for name in ["X-Tenure-Timestamp", "X-Tenure-Signature"] {
        if let Some(value) = headers.get(name) {
            event = event.header(name, value);
        }
    }
    event.body(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_invalid_connection_is_answered_byte_for_byte_as_a_bad_signature()
-> TestResult {
    let d = Deployment::new().await?;
    let body = sample("generic.json")?;
    let router = d.router()?;
    // A caller who does not hold the key signs with one of their own.
    let forged = sign_generic(
        &body,
        &SecretString::from("whsec-guess".to_owned()),
        Timestamp::now(),
    );

    let existing = event_to(d.connection.as_str(), &forged, &body)
        .send(&router)
        .await?;
    assert_eq!(existing.status, 401, "{}", existing.body);
    for id in [unique_id().as_str(), "Not_An_Id"] {
        let unknown = event_to(id, &forged, &body).send(&router).await?;
        assert_eq!(
            (unknown.status, &unknown.headers, &unknown.body),
            (existing.status, &existing.headers, &existing.body),
            "connection {id}"
        );
        // Signed with the real connection's key, for another id: still the same answer.
        let replayed_elsewhere =
            event_to(id, &sign_generic(&body, &d.key(), Timestamp::now()), &body)
                .send(&router)
                .await?;
        assert_eq!(
            (
                replayed_elsewhere.status,
                &replayed_elsewhere.headers,
                &replayed_elsewhere.body
            ),
            (existing.status, &existing.headers, &existing.body),
            "connection {id}"
        );
    }

    // Unsigned: the same answer for a connection that exists and one that does not.
    let unsigned_existing = event_to(d.connection.as_str(), &Headers::default(), &body)
        .send(&router)
        .await?;
    let unsigned_unknown = event_to(&unique_id(), &Headers::default(), &body)
        .send(&router)
        .await?;
    assert_eq!(unsigned_existing.status, 401);
    assert_eq!(
        (
            unsigned_unknown.status,
            &unsigned_unknown.headers,
            &unsigned_unknown.body
        ),
        (
            unsigned_existing.status,
            &unsigned_existing.headers,
            &unsigned_existing.body
        ),
    );
    assert!(d.queued().await?.is_empty());
    Ok(())
}

/// A secret store that counts its reads.
struct CountingSecrets {
    inner: Arc<dyn SecretStore>,
    reads: AtomicUsize,
}

#[async_trait::async_trait]
impl SecretStore for CountingSecrets {
    async fn get(
        &self,
        name: &SecretName,
    ) -> Result<Option<(SecretString, tenure::store::Version)>, SecretError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get(name).await
    }
    async fn put_new(
        &self,
        name: &SecretName,
        value: &SecretString,
    ) -> Result<tenure::store::Version, SecretError> {
        self.inner.put_new(name, value).await
    }
    async fn replace(
        &self,
        name: &SecretName,
        value: &SecretString,
        expected: &tenure::store::Version,
    ) -> Result<tenure::store::Version, SecretError> {
        self.inner.replace(name, value, expected).await
    }
    async fn delete(&self, name: &SecretName) -> Result<(), SecretError> {
        self.inner.delete(name).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_nobody_could_have_signed_reads_no_key() -> TestResult {
    let d = Deployment::new().await?;
    let secrets = Arc::new(CountingSecrets {
        inner: Arc::clone(&d.services.secrets),
        reads: AtomicUsize::new(0),
    });
    let router = webhook_routes(Services {
        secrets: Arc::clone(&secrets) as Arc<dyn SecretStore>,
        ..d.services.clone()
    });
    let body = sample("generic.json")?;
    let unsigned = Headers::default();
    let not_hex = Headers::from_pairs([
        (
            "X-Tenure-Timestamp",
            Timestamp::now().as_second().to_string(),
        ),
        ("X-Tenure-Signature", "sha256=not-hex".to_owned()),
    ]);
    for headers in [&unsigned, &not_hex] {
        let answer = event_to(d.connection.as_str(), headers, &body)
            .send(&router)
            .await?;
        assert_eq!(answer.status, 401, "{}", answer.body);
    }
    let too_large = vec![b' '; MAX_BODY_BYTES + 1];
    let answer = event_to(
        d.connection.as_str(),
        &sign_generic(&too_large, &d.key(), Timestamp::now()),
        &too_large,
    )
    .send(&router)
    .await?;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(secrets.reads.load(Ordering::SeqCst), 0);

    // A well-formed one is checked against the key: one read.
    let answer = event_to(
        d.connection.as_str(),
        &sign_generic(&body, &d.key(), Timestamp::now()),
        &body,
    )
    .send(&router)
    .await?;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(secrets.reads.load(Ordering::SeqCst), 1);
    Ok(())
}

/// What the HR page lists: every delivery signed with the key, queued or refused and why, newest
/// first; nothing for a request anyone could send (no signature, a wrong one, a replay).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_are_kept_with_their_outcome_and_unsigned_ones_are_not() -> TestResult {
    use tenure::service::deliveries::{DeliveryOutcome, DeliverySource, recent};
    let d = Deployment::new().await?;
    let objects = d.services.objects.as_ref();
    let body = sample("generic.json")?;
    let queued = d.deliver(&body, Timestamp::now()).await?;
    assert_eq!(queued.status, 202, "{}", queued.body);
    let malformed = d
        .deliver(
            br#"{"events":[{"type":"hire","worker":{}}]}"#,
            Timestamp::now(),
        )
        .await?;
    assert_eq!(malformed.status, 400);

    let wrong_key = SecretString::from("whsec-not-this-connections-key".to_owned());
    let unsigned = d
        .event(&sign_generic(&body, &wrong_key, Timestamp::now()), &body)
        .send(&d.router()?)
        .await?;
    assert_eq!(unsigned.status, 401);
    // A minute back: not the first delivery's signature (timestamps are in whole seconds).
    let at = Timestamp::now() - SignedDuration::from_mins(1);
    let once = d.event(&sign_generic(&body, &d.key(), at), &body);
    assert_eq!(once.send(&d.router()?).await?.status, 202);
    assert_eq!(once.send(&d.router()?).await?.status, 401, "a replay");

    let kept = recent(objects, &d.connection, 10).await?;
    assert_eq!(kept.len(), 3, "two queued and one malformed: {kept:?}");
    assert!(kept.iter().all(|r| r.source == DeliverySource::Webhook));
    assert!(
        matches!(&kept[0].outcome, DeliveryOutcome::Queued { workers } if *workers >= 1),
        "{:?}",
        kept[0]
    );
    assert!(
        matches!(&kept[1].outcome, DeliveryOutcome::Refused { status: 400, reason } if reason.contains("$.events[0].type")),
        "{:?}",
        kept[1]
    );
    assert!(
        kept[2].delivery_id.is_some(),
        "a queued delivery has its id"
    );
    assert!(kept.iter().all(|r| !format!("{r:?}").contains(&d.key)));
    Ok(())
}
