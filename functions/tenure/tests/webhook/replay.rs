//! The replay cache shared through the object store (`ObjectReplayCache`), on S3 (moto) and on
//! local files: one delivery accepted once however many instances see it, until it expires.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use tenure::store::DataDir;
use tenure::store::connections::ConnectionId;
use tenure::store::objects::{LocalObjectStore, ObjectStore, S3ObjectStore};
use tenure::webhook::{ObjectReplayCache, REPLAY_PREFIX, ReplayCache};

use super::helpers::{Error, TestResult, now};
use crate::support::aws::{moto_config, new_bucket};

/// Runs each function below against S3 (moto) and the local object store.
macro_rules! for_each_store {
    ($($test:ident),* $(,)?) => {
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> super::super::helpers::TestResult {
                    super::$test(super::s3().await?).await
                }
            )*
        }
        mod local_files {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> super::super::helpers::TestResult {
                    let dir = tempfile::tempdir()?;
                    super::$test(super::local(&dir)?).await
                }
            )*
        }
    };
}

for_each_store!(
    a_delivery_seen_by_one_instance_is_refused_by_another,
    of_eight_identical_deliveries_at_once_exactly_one_is_accepted,
    an_expired_entry_lets_a_fresh_delivery_in,
    a_forgotten_delivery_is_let_in_again,
    entries_are_per_connection_and_never_hold_the_signature,
);

async fn s3() -> Result<Arc<dyn ObjectStore>, Error> {
    let config = moto_config().await?;
    let bucket = new_bucket(&config, "tenure-test").await?;
    Ok(Arc::new(S3ObjectStore::new(&config, &bucket, "")))
}

fn local(dir: &tempfile::TempDir) -> Result<Arc<dyn ObjectStore>, Error> {
    let data = DataDir::open(dir.path().join("data"))?;
    Ok(Arc::new(LocalObjectStore::open(&data)?))
}

fn acme() -> Result<ConnectionId, Error> {
    Ok(ConnectionId::parse("acme")?)
}

const SIGNATURE: &str = "sha256=5f1c0d2e9a7b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5";

fn in_minutes(minutes: i64) -> Timestamp {
    now() + SignedDuration::from_mins(minutes)
}

async fn a_delivery_seen_by_one_instance_is_refused_by_another(
    store: Arc<dyn ObjectStore>,
) -> TestResult {
    let first = ObjectReplayCache::new(Arc::clone(&store));
    let second = ObjectReplayCache::new(Arc::clone(&store));
    let acme = acme()?;
    assert!(!first.seen(&acme, SIGNATURE, now(), in_minutes(5)).await?);
    assert!(second.seen(&acme, SIGNATURE, now(), in_minutes(5)).await?);
    assert!(
        first
            .seen(&acme, SIGNATURE, in_minutes(1), in_minutes(6))
            .await?
    );
    Ok(())
}

async fn of_eight_identical_deliveries_at_once_exactly_one_is_accepted(
    store: Arc<dyn ObjectStore>,
) -> TestResult {
    let acme = acme()?;
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let cache = ObjectReplayCache::new(Arc::clone(&store));
        let acme = acme.clone();
        racers.spawn(async move { cache.seen(&acme, SIGNATURE, now(), in_minutes(5)).await });
    }
    let mut accepted = 0;
    while let Some(seen) = racers.join_next().await {
        if !seen?? {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1);
    Ok(())
}

async fn an_expired_entry_lets_a_fresh_delivery_in(store: Arc<dyn ObjectStore>) -> TestResult {
    let cache = ObjectReplayCache::new(Arc::clone(&store));
    let acme = acme()?;
    assert!(!cache.seen(&acme, SIGNATURE, now(), in_minutes(5)).await?);
    // Six minutes on, the entry has expired: the delivery is let in and recorded again.
    assert!(
        !cache
            .seen(&acme, SIGNATURE, in_minutes(6), in_minutes(11))
            .await?
    );
    assert!(
        cache
            .seen(&acme, SIGNATURE, in_minutes(7), in_minutes(12))
            .await?
    );
    // Of eight instances finding the same expired entry, one takes it over.
    let later = in_minutes(20);
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let cache = ObjectReplayCache::new(Arc::clone(&store));
        let acme = acme.clone();
        racers.spawn(async move {
            cache
                .seen(
                    &acme,
                    SIGNATURE,
                    later,
                    later + SignedDuration::from_mins(5),
                )
                .await
        });
    }
    let mut accepted = 0;
    while let Some(seen) = racers.join_next().await {
        if !seen?? {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1);
    Ok(())
}

async fn a_forgotten_delivery_is_let_in_again(store: Arc<dyn ObjectStore>) -> TestResult {
    let cache = ObjectReplayCache::new(Arc::clone(&store));
    let acme = acme()?;
    assert!(!cache.seen(&acme, SIGNATURE, now(), in_minutes(5)).await?);
    cache.forget(&acme, SIGNATURE).await?;
    assert!(!cache.seen(&acme, SIGNATURE, now(), in_minutes(5)).await?);
    assert!(cache.seen(&acme, SIGNATURE, now(), in_minutes(5)).await?);
    Ok(())
}

async fn entries_are_per_connection_and_never_hold_the_signature(
    store: Arc<dyn ObjectStore>,
) -> TestResult {
    let cache = ObjectReplayCache::new(Arc::clone(&store));
    let acme = acme()?;
    let globex = ConnectionId::parse("globex")?;
    assert!(!cache.seen(&acme, SIGNATURE, now(), in_minutes(5)).await?);
    assert!(!cache.seen(&globex, SIGNATURE, now(), in_minutes(5)).await?);

    let keys = store.list(&format!("{REPLAY_PREFIX}/")).await?;
    assert_eq!(keys.len(), 2);
    let hex = SIGNATURE.trim_start_matches("sha256=");
    for key in &keys {
        assert!(!key.as_str().contains(hex), "{key}");
        let (bytes, _) = store.get(key).await?.ok_or("the entry vanished")?;
        let body = String::from_utf8(bytes)?;
        assert!(!body.contains(hex), "{body}");
        assert_eq!(body.parse::<Timestamp>()?, in_minutes(5));
    }
    assert!(
        keys[0].as_str().starts_with("webhook-replay/acme/"),
        "{}",
        keys[0]
    );
    assert!(
        keys[1].as_str().starts_with("webhook-replay/globex/"),
        "{}",
        keys[1]
    );
    Ok(())
}
