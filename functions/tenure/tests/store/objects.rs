//! Every object store through the same specification: objects round trip, conditional writes,
//! listing by prefix.

use std::sync::Arc;

use tenure::store::objects::{Condition, ObjectError, ObjectKey, ObjectStore};

use super::helpers::{TestResult, for_each_object_store, unique_id};

for_each_object_store!(
    an_object_is_written_read_listed_and_deleted,
    conditions_refuse_stale_and_duplicate_writes,
    of_two_simultaneous_creators_exactly_one_wins,
    of_simultaneous_replacers_of_one_version_exactly_one_wins,
);

fn key(text: &str) -> Result<ObjectKey, Box<dyn std::error::Error + Send + Sync>> {
    Ok(ObjectKey::parse(text)?)
}

async fn an_object_is_written_read_listed_and_deleted(store: Arc<dyn ObjectStore>) -> TestResult {
    let base = format!("plugins/{}", unique_id());
    let a = key(&format!("{base}/a.wasm"))?;
    let b = key(&format!("{base}/deeper/b.cwasm"))?;
    let other = key(&format!("{base}x/c"))?;
    assert!(store.get(&a).await?.is_none());
    let va = store.put(&a, b"one".to_vec(), Condition::Always).await?;
    store.put(&b, vec![0, 1, 2], Condition::Absent).await?;
    store.put(&other, b"x".to_vec(), Condition::Always).await?;
    let (bytes, version) = store.get(&a).await?.ok_or("a is missing")?;
    assert_eq!((bytes.as_slice(), &version), (&b"one"[..], &va));
    assert_eq!(
        store.list(&format!("{base}/")).await?,
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        store.list(&base).await?,
        vec![a.clone(), b.clone(), other.clone()]
    );
    store.delete(&a).await?;
    store.delete(&a).await?; // deleting what is gone is not an error
    assert!(store.get(&a).await?.is_none());
    assert_eq!(store.list(&format!("{base}/")).await?, vec![b]);
    Ok(())
}

async fn conditions_refuse_stale_and_duplicate_writes(store: Arc<dyn ObjectStore>) -> TestResult {
    let k = key(&format!("connections/{}/mapping.json", unique_id()))?;
    let missing = store
        .put(&k, b"x".to_vec(), Condition::Matches(stale(&store).await?))
        .await;
    assert!(
        matches!(missing, Err(ObjectError::NotFound { .. })),
        "{missing:?}"
    );
    let v1 = store.put(&k, b"1".to_vec(), Condition::Absent).await?;
    let again = store.put(&k, b"2".to_vec(), Condition::Absent).await;
    assert!(
        matches!(again, Err(ObjectError::Conflict { .. })),
        "{again:?}"
    );
    let v2 = store
        .put(&k, b"2".to_vec(), Condition::Matches(v1.clone()))
        .await?;
    let stale_write = store.put(&k, b"3".to_vec(), Condition::Matches(v1)).await;
    assert!(
        matches!(stale_write, Err(ObjectError::Conflict { .. })),
        "{stale_write:?}"
    );
    let (bytes, version) = store.get(&k).await?.ok_or("gone")?;
    assert_eq!((bytes.as_slice(), version), (&b"2"[..], v2));
    Ok(())
}

/// A version some other object had (so a replace naming it cannot match anything new).
async fn stale(
    store: &Arc<dyn ObjectStore>,
) -> Result<tenure::store::Version, super::helpers::Error> {
    let k = key(&format!("scratch/{}", unique_id()))?;
    Ok(store.put(&k, b"stale".to_vec(), Condition::Always).await?)
}

async fn of_two_simultaneous_creators_exactly_one_wins(store: Arc<dyn ObjectStore>) -> TestResult {
    let k = key(&format!("replay/{}/sig", unique_id()))?;
    let writers = (0..8).map(|i| {
        let (store, k) = (Arc::clone(&store), k.clone());
        tokio::spawn(async move { store.put(&k, vec![i], Condition::Absent).await })
    });
    let mut won = 0;
    for writer in writers {
        match writer.await? {
            Ok(_) => won += 1,
            Err(ObjectError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    assert_eq!(won, 1);
    Ok(())
}

async fn of_simultaneous_replacers_of_one_version_exactly_one_wins(
    store: Arc<dyn ObjectStore>,
) -> TestResult {
    let k = key(&format!("budget/{}/window", unique_id()))?;
    let read = store.put(&k, vec![0], Condition::Always).await?;
    let writers = (1..=8).map(|i| {
        let (store, k, read) = (Arc::clone(&store), k.clone(), read.clone());
        tokio::spawn(async move { store.put(&k, vec![i], Condition::Matches(read)).await })
    });
    let mut winners = Vec::new();
    for (i, writer) in (1..=8).zip(writers) {
        match writer.await? {
            Ok(version) => winners.push((i, version)),
            Err(ObjectError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let [(winner, version)] = winners.as_slice() else {
        return Err(format!("{} replacers won, not one", winners.len()).into());
    };
    let (bytes, kept) = store.get(&k).await?.ok_or("gone")?;
    assert_eq!((bytes, &kept), (vec![*winner], version));
    Ok(())
}

/// One level: the keys right under a prefix, not those in folders below it (how the S3
/// connection store lists records beside each connection's own objects).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_lists_one_level_below_a_prefix() -> TestResult {
    let config = super::helpers::moto_config().await?;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("tenure-test-{}", uuid::Uuid::new_v4().simple());
    client.create_bucket().bucket(&bucket).send().await?;
    let store = tenure::store::objects::S3ObjectStore::new(&config, &bucket, "connections");
    for name in [
        "acme.json",
        "acme/mapping.json",
        "acme/hr/workers.csv",
        "zeta.json",
    ] {
        store
            .put(&key(name)?, b"{}".to_vec(), Condition::Always)
            .await?;
    }
    assert_eq!(
        store.list_one_level("").await?,
        vec![key("acme.json")?, key("zeta.json")?]
    );
    assert_eq!(
        store.list_one_level("acme/").await?,
        vec![key("acme/mapping.json")?]
    );
    assert_eq!(store.list("acme/").await?.len(), 2);
    Ok(())
}
