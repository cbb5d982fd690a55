//! What a run that stopped before its end leaves of each of its messages: a message whose
//! workers are all done is done; the rest of a message becomes a **continuation**, a new
//! message of the same connection, delivery, approval, part and lane carrying only the workers
//! not yet done. The original is then reported done, so a large message never counts as a
//! failed receive and never reaches the dead-letter queue for being large.
//!
//! A continuation names the message first queued (`origin`, the SHA-256 of its body as this
//! code writes it) and its `step`; its FIFO deduplication id comes from these
//! ([`WorkItem::deduplication_id`]), so when an invocation is retried after it queued a
//! remainder, the remainder it queues again is dropped by SQS as the same message (the first
//! carries every worker the retry leaves, as the retry can only have done more).

use std::collections::{HashMap, HashSet};

use sha2::{Digest as _, Sha256};

use crate::queue::{Continuation, WorkItem};

/// The remainder of each of `items` (a run's messages, in the order received) once the workers
/// in `unfinished` (employee ids) were not done: `None` for a message that is done, else its
/// continuation. A worker's remainder goes with the last message of the run that carries it
/// (the run planned that record: a later record of an employee wins), as its last record there;
/// an earlier message's copy of it is done with that message.
pub fn remainders(items: &[WorkItem], unfinished: &HashSet<String>) -> Vec<Option<WorkItem>> {
    // Where each unfinished worker's last record is: (message, place in its workers).
    let mut last: HashMap<&str, (usize, usize)> = HashMap::new();
    for (m, item) in items.iter().enumerate() {
        for (w, queued) in item.workers.iter().enumerate() {
            let id = queued.worker.employee_id.as_str();
            if unfinished.contains(id) {
                last.insert(id, (m, w));
            }
        }
    }
    let mut carried: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    for &(m, w) in last.values() {
        carried[m].push(w);
    }
    items
        .iter()
        .zip(carried)
        .map(|(item, mut places)| {
            if places.is_empty() {
                return None;
            }
            places.sort_unstable();
            Some(WorkItem {
                workers: places.iter().map(|&w| item.workers[w].clone()).collect(),
                continues: Some(next_step(item)),
                ..item.clone()
            })
        })
        .collect()
}

/// `item` whole as its own continuation (a message the invocation had no time to start).
fn whole(item: &WorkItem) -> WorkItem {
    WorkItem {
        continues: Some(next_step(item)),
        ..item.clone()
    }
}

/// Each of a run's messages whole as its own continuation: a run the invocation had no time to
/// start, or whose tenant read was given up. `None` when a message brings no workers (one that
/// only brings a run): such a run is not continued, its messages come back as a failed receive.
pub(super) fn whole_run(items: &[WorkItem]) -> Option<Vec<WorkItem>> {
    if items.iter().any(|item| item.workers.is_empty()) {
        return None;
    }
    Some(items.iter().map(whole).collect())
}

/// The continuation a remainder of `item` is: of the same origin, one step further.
fn next_step(item: &WorkItem) -> Continuation {
    match &item.continues {
        Some(c) => Continuation {
            origin: c.origin.clone(),
            step: c.step.saturating_add(1),
        },
        None => Continuation {
            // A work item always serializes (strings, numbers and dates only).
            origin: hex::encode(Sha256::digest(item.to_json().unwrap_or_default())),
            step: 1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::whole_run;
    use crate::queue::{QueuedWorker, WORK_ITEM_VERSION, WorkItem};
    use crate::store::connections::ConnectionId;
    use crate::worker::{EmployeeId, Worker};

    fn item(delivery: &str, ids: &[&str]) -> Result<WorkItem, Box<dyn std::error::Error>> {
        let workers = ids
            .iter()
            .map(|id| {
                Ok(QueuedWorker {
                    source: "webhook:1".into(),
                    worker: Worker::active(EmployeeId::parse(id)?),
                    partial: false,
                })
            })
            .collect::<Result<_, Box<dyn std::error::Error>>>()?;
        Ok(WorkItem {
            version: WORK_ITEM_VERSION,
            connection_id: ConnectionId::parse("c-whole")?,
            delivery_id: delivery.into(),
            workers,
            approval: None,
            part: None,
            continues: None,
        })
    }

    #[test]
    fn a_run_goes_on_whole_one_continuation_per_message() -> Result<(), Box<dyn std::error::Error>>
    {
        let items = vec![item("d-1", &["1", "2"])?, item("d-1", &["3"])?];
        let continued = whole_run(&items).ok_or("not continued")?;
        assert_eq!(continued.len(), 2);
        for (original, continuation) in items.iter().zip(&continued) {
            assert_eq!(continuation.workers, original.workers);
            assert_eq!(continuation.message_group(), original.message_group());
            let step = continuation
                .continues
                .as_ref()
                .ok_or("not a continuation")?;
            assert_eq!(step.step, 1);
        }
        // Continued again, the same origin one step further (a new deduplication id).
        let again = whole_run(&continued).ok_or("not continued")?;
        assert_eq!(
            again[0].continues.as_ref().map(|c| (&c.origin, c.step)),
            continued[0].continues.as_ref().map(|c| (&c.origin, 2))
        );
        Ok(())
    }

    #[test]
    fn a_run_with_a_message_of_no_workers_is_not_continued()
    -> Result<(), Box<dyn std::error::Error>> {
        let items = vec![item("d-2", &["1"])?, item("d-2", &[])?];
        assert!(whole_run(&items).is_none());
        Ok(())
    }
}
