//! Queues under test: a fresh SQS queue (standard or FIFO) on moto with a one-second visibility
//! timeout, or a fresh in-process queue with the same.

use std::sync::Arc;
use std::time::Duration;

use tenure::hr::SourcedWorker;
use tenure::queue::{InProcessQueue, Received, SqsQueue, WorkItem, WorkQueue};
use tenure::store::connections::ConnectionId;
use tenure::worker::{EmployeeId, SourceRef, Worker};

use crate::support::aws::{QueueKind, moto_config, new_queue};
pub(crate) use crate::support::{Error, TestResult};

pub(crate) const VISIBILITY: Duration = Duration::from_secs(1);

/// A new SQS queue on this process's moto.
pub(crate) async fn sqs() -> Result<Arc<dyn WorkQueue>, Error> {
    sqs_queue(QueueKind::Standard).await
}

/// A new SQS FIFO queue (content-based deduplication, as deployed) on this process's moto.
pub(crate) async fn sqs_fifo() -> Result<Arc<dyn WorkQueue>, Error> {
    sqs_queue(QueueKind::Fifo).await
}

async fn sqs_queue(kind: QueueKind) -> Result<Arc<dyn WorkQueue>, Error> {
    let config = moto_config().await?;
    let url = new_queue(&config, "work", kind, Some(VISIBILITY)).await?;
    Ok(Arc::new(SqsQueue::new(&config, url)))
}

/// A new in-process queue.
pub(crate) fn in_process() -> Arc<dyn WorkQueue> {
    Arc::new(InProcessQueue::new(VISIBILITY))
}

/// A work item with `count` small workers.
pub(crate) fn item(delivery: &str, count: usize) -> Result<WorkItem, Error> {
    let mut items = WorkItem::split(&ConnectionId::parse("acme")?, delivery, workers(count)?)?;
    // Every worker in one item: the lanes are not what these tests are about.
    let mut first = items.remove(0);
    for other in items {
        first.workers.extend(other.workers);
    }
    Ok(first)
}

/// `count` small workers, employee ids from 1000.
pub(crate) fn workers(count: usize) -> Result<Vec<SourcedWorker>, Error> {
    (0..count)
        .map(|i| {
            Ok(SourcedWorker {
                worker: worker(&format!("{}", 1000 + i))?,
                source: SourceRef {
                    file: "webhook".into(),
                    line: i as u64,
                },
            })
        })
        .collect::<Result<Vec<_>, Error>>()
}

fn worker(id: &str) -> Result<Worker, Error> {
    Ok(Worker {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        ..Worker::active(EmployeeId::parse(id)?)
    })
}

/// Receives until `want` messages arrived or a generous deadline passed.
pub(crate) async fn receive_until(
    queue: &dyn WorkQueue,
    want: usize,
) -> Result<Vec<Received>, Error> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut got = Vec::new();
    while got.len() < want && tokio::time::Instant::now() < deadline {
        got.extend(
            queue
                .receive(want - got.len(), Duration::from_secs(1))
                .await?,
        );
    }
    Ok(got)
}
