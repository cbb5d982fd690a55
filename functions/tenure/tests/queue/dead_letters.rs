//! One suite for both dead-letter stores (the SQS FIFO dead-letter queue on moto, as deployed,
//! and objects under `dead-letters/`): a letter sent is listed with its reason, listing takes
//! nothing away, a letter is removed by its id once, an id that is not kept removes nothing.

use std::sync::Arc;

use tenure::queue::{DeadLetter, DeadLetters, LocalDeadLetters, SqsDeadLetters};
use tenure::store::DataDir;
use tenure::store::objects::LocalObjectStore;

use super::helpers::{TestResult, item};
use crate::support::aws::{QueueKind, moto_config, new_queue};

async fn listed_then_removed_once(letters: Arc<dyn DeadLetters>) -> TestResult {
    assert!(letters.list(10).await?.is_empty());
    let bodies = [
        item("d-dead-1", 1)?.to_json()?,
        item("d-dead-2", 2)?.to_json()?,
    ];
    for (n, body) in bodies.iter().enumerate() {
        letters
            .send(&DeadLetter::new(
                Some(format!("m-{n}")),
                body.clone(),
                &format!("reason {n}"),
            ))
            .await?;
    }
    for _ in 0..2 {
        let listed = letters.list(10).await?;
        assert_eq!(listed.len(), 2, "listing takes nothing away: {listed:?}");
        for (n, body) in bodies.iter().enumerate() {
            let kept = listed
                .iter()
                .find(|k| &k.letter.body == body)
                .ok_or("a letter is missing")?;
            assert_eq!(kept.letter.reason, format!("reason {n}"));
        }
    }
    let listed = letters.list(10).await?;
    let first = &listed[0];
    assert!(letters.remove(&first.id).await?);
    assert!(!letters.remove(&first.id).await?, "removed once");
    assert!(!letters.remove("not-a-letter").await?);
    let left = letters.list(10).await?;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_ne!(left[0].id, first.id);
    assert_eq!(letters.list(1).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn sqs_fifo_dead_letters_are_listed_and_removed_once() -> TestResult {
    let config = moto_config().await?;
    let url = new_queue(&config, "dead-letters", QueueKind::Fifo, None).await?;
    listed_then_removed_once(Arc::new(SqsDeadLetters::new(&config, url))).await
}

#[tokio::test]
async fn local_dead_letters_are_listed_and_removed_once() -> TestResult {
    let folder = tempfile::tempdir()?;
    let objects = Arc::new(LocalObjectStore::open(&DataDir::open(
        folder.path().join("data"),
    )?)?);
    listed_then_removed_once(Arc::new(LocalDeadLetters::new(objects))).await
}
