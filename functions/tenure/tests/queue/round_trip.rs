//! One suite for every queue.

use std::sync::Arc;

use tenure::queue::{WorkItem, WorkQueue};

use super::helpers::{Error, TestResult, in_process, item, receive_until, sqs, sqs_fifo};

async fn send_receive_delete(queue: Arc<dyn WorkQueue>) -> TestResult {
    let sent: Vec<WorkItem> = vec![item("d-1", 2)?, item("d-2", 1)?];
    let ids = queue.send(sent.clone()).await?;
    assert_eq!(ids.len(), 2);

    let received = receive_until(queue.as_ref(), 2).await?;
    assert_eq!(received.len(), 2);
    let mut items = Vec::new();
    for message in &received {
        assert!(ids.contains(&message.id), "{:?} was not sent", message.id);
        items.push(message.item.as_ref().map_err(|e| e.to_string())?.clone());
        queue.delete(&message.receipt).await?;
    }
    items.sort_by(|a, b| a.delivery_id.cmp(&b.delivery_id));
    assert_eq!(items, sent);
    // Deleted: nothing comes back, even after the visibility timeout.
    let wait = super::helpers::VISIBILITY * 2;
    assert!(queue.receive(10, wait).await?.is_empty());
    Ok(())
}

async fn a_message_not_deleted_comes_back(queue: Arc<dyn WorkQueue>) -> TestResult {
    let sent = item("d-again", 1)?;
    queue.send(vec![sent.clone()]).await?;
    let first = receive_until(queue.as_ref(), 1).await?;
    let first = first.first().ok_or("never received")?;
    // Not deleted: it comes back once its visibility timeout passes.
    let again = receive_until(queue.as_ref(), 1).await?;
    let again = again.first().ok_or("never came back")?;
    assert_eq!(again.id, first.id);
    assert_eq!(again.item.as_ref().map_err(|e| e.to_string())?, &sent);
    queue.delete(&again.receipt).await?;
    Ok(())
}

#[tokio::test]
async fn sqs_send_receive_delete() -> TestResult {
    send_receive_delete(sqs().await?).await
}

#[tokio::test]
async fn sqs_redelivers_what_was_not_deleted() -> TestResult {
    a_message_not_deleted_comes_back(sqs().await?).await
}

#[tokio::test]
async fn sqs_fifo_send_receive_delete() -> TestResult {
    send_receive_delete(sqs_fifo().await?).await
}

#[tokio::test]
async fn sqs_fifo_redelivers_what_was_not_deleted() -> TestResult {
    a_message_not_deleted_comes_back(sqs_fifo().await?).await
}

#[tokio::test]
async fn in_process_send_receive_delete() -> TestResult {
    send_receive_delete(in_process()).await
}

#[tokio::test]
async fn in_process_redelivers_what_was_not_deleted() -> TestResult {
    a_message_not_deleted_comes_back(in_process()).await
}

#[tokio::test]
async fn a_body_of_another_version_is_refused() -> Result<(), Error> {
    let json = item("d-v", 1)?
        .to_json()?
        .replacen("\"version\":1", "\"version\":2", 1);
    assert!(WorkItem::from_json(&json).is_err());
    Ok(())
}

/// A large reconcile is queued at once: many messages near the size limit are sent in batches
/// SQS takes (a batch's bodies together stay under its payload limit; moto refuses more than
/// 1 MiB with `BatchRequestTooLong`, as SQS does).
#[tokio::test]
async fn sqs_fifo_takes_many_large_messages_at_once() -> TestResult {
    let queue = sqs_fifo().await?;
    let items = WorkItem::split(
        &tenure::store::connections::ConnectionId::parse("acme")?,
        "d-large",
        super::helpers::workers(6_000)?,
    )?;
    let large = items
        .iter()
        .filter(|i| i.to_json().is_ok_and(|b| b.len() > 150 * 1024))
        .count();
    assert!(large >= 10, "{large} messages over 150 KiB");
    let ids = queue.send(items.clone()).await?;
    assert_eq!(ids.len(), items.len());
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
    Ok(())
}
